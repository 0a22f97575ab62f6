"""Finding a cardholder's account, within the caller's programs only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rewards.adapters.config_store import ConfigStore
from rewards.adapters.ledger import LedgerStore
from rewards.domain import Account, Caller, PointPool
from rewards.errors import NotFound
from rewards.models.config import Program

CardHasher = Callable[[str], str]


@dataclass(frozen=True)
class AccountContext:
    account: Account
    pool: PointPool
    program: Program


def unknown_account(field: str | None = None) -> NotFound:
    return NotFound("No redeemer matches the given identifier.", reason_code="REDEEMER_NOT_FOUND", details=field)


def find_account(
    store: LedgerStore,
    hash_card: CardHasher,
    caller: Caller | None,
    account_id: str,
    id_type: str,
    *,
    field: str | None = None,
) -> Account:
    """Resolve a BAN, BCN or RANAC to an account the caller may see, else 404 (no existence leak).

    ``caller`` is None only for the card network's own feed, which reaches every program.
    ``field`` names the request field that carried the identifier (the 404's Details).
    """
    account: Account | None = None
    if id_type == "RANAC":
        account = store.account(account_id)
    elif id_type == "BAN":
        ids = store.account_ids_for_cards([hash_card(account_id)])
        account = store.account(next(iter(ids.values()))) if ids else None
    elif id_type == "BCN":
        for candidate_id in store.account_ids_for_customer(hash_card(account_id)):
            candidate = store.account(candidate_id)
            if candidate is not None and (caller is None or caller.may_access(candidate.programId)):
                account = candidate
                break
    if account is None or (caller is not None and not caller.may_access(account.programId)):
        raise unknown_account(field)
    return account


def load_context(store: LedgerStore, config: ConfigStore, account: Account) -> AccountContext:
    pool = store.pool(account.poolId)
    program = config.program(account.programId)
    if pool is None or program is None:
        raise unknown_account()
    return AccountContext(account, pool, program)
