"""Finding a cardholder's account, within the caller's programs only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rewards.domain import Account, Caller, PointPool
from rewards.errors import NotFound
from rewards.ledger import Configuration, Ledger
from rewards.models.config import Program

CardHasher = Callable[[str], str]


@dataclass(frozen=True)
class AccountContext:
    account: Account
    pool: PointPool
    program: Program


def unknown_account(field: str | None = None) -> NotFound:
    return NotFound("No redeemer matches the given identifier.", reason_code="REDEEMER_NOT_FOUND", details=field)


def random_customer_key(rancu: str) -> str:
    """What a customer's RANCU is looked up by: the same keyed lookup as a bank customer number, in a
    space of its own (a RANCU is alphanumeric, so it never contains the separator)."""
    return f"RANCU#{rancu}"


def find_account(
    store: Ledger,
    hash_card: CardHasher,
    caller: Caller | None,
    account_id: str,
    id_type: str,
    *,
    field: str | None = None,
) -> Account:
    """Resolve a BAN, BCN, RANCU or RANAC to an account the caller may see, else 404 (no existence leak).

    A foreign cardholder and one that does not exist cost the same reads: card and customer-number
    lookups carry the account's program, so the caller's access is checked before the account is
    read. ``caller`` is None only for the card network's own feed, which reaches every program.
    ``field`` names the request field that carried the identifier (the 404's Details).
    """
    wanted: str | None = None
    if id_type == "RANAC":
        wanted = account_id
    elif id_type == "BAN":
        card = hash_card(account_id)
        ref = store.cards([card]).get(card)
        wanted = ref.accountId if ref and (caller is None or caller.may_access(ref.programId)) else None
    elif id_type in ("BCN", "RANCU"):
        customer = account_id if id_type == "BCN" else random_customer_key(account_id)
        refs = store.accounts_of_customer(hash_card(customer))
        wanted = next((r.accountId for r in refs if caller is None or caller.may_access(r.programId)), None)
    account = store.account(wanted) if wanted is not None else None
    if account is None or (caller is not None and not caller.may_access(account.programId)):
        raise unknown_account(field)
    return account


def load_context(store: Ledger, config: Configuration, account: Account) -> AccountContext:
    pool = store.pool(account.poolId)
    program = config.program(account.programId)
    if pool is None or program is None:
        raise unknown_account()
    return AccountContext(account, pool, program)
