"""The ledger, as the use cases see it: accounts, pools, authorizations, redemptions and credits,
each outcome committed once in one conditional transaction (docs/design.md, sections 2 and 2b).

Two implementations: ``adapters/dynamo_ledger.py`` (DynamoDB; the only place that knows keys,
indexes, item shapes and transactions) and ``adapters/memory_ledger.py`` (in memory, for use-case
tests). A commit either returns what is stored, or raises one of the refusals below, which the use
case answers (decide again, replay, refuse). A commit whose answer was lost is recognised by the
ledger, which returns what committed; ``Unavailable`` means nothing committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from rewards.domain import Account, AccountRef, CardholderPreferences, PointPool
from rewards.errors import Unavailable
from rewards.events import CommittedEvent
from rewards.models.config import Program
from rewards.records import (
    AuthorizationPage,
    AuthorizationQuery,
    EventSource,
    FulfilmentReport,
    NewAuthorization,
    NewCredit,
    NewRedemption,
    NewReprocess,
    NewStatementCredit,
    PoolLedger,
    RedemptionHistoryPage,
    RedemptionHistoryQuery,
    RedemptionLine,
    StoredAuthorization,
    StoredRequest,
)


class CommitRefused(Exception):
    """A condition of the commit failed: nothing of it was written."""


class Duplicate(CommitRefused):
    """The business key (externalId, Idempotency-Key, network reference) was committed by another
    request; ``existing`` is what that request stored (a StoredAuthorization or a StoredRequest)."""

    def __init__(self, existing: StoredAuthorization | StoredRequest | None, role: str = "unique") -> None:
        super().__init__(role)
        self.existing = existing
        self.role = role


class IdTaken(CommitRefused):
    """A random or derived id belongs to another record: draw (or derive) the next one."""


class BalanceMoved(CommitRefused):
    """The pool's balance is not the one the request read; ``pool`` is how it is now."""

    def __init__(self, pool: PointPool | None) -> None:
        super().__init__(pool.poolId if pool else "")
        self.pool = pool


class AccountChanged(CommitRefused):
    """The account's version moved (its preferences changed): read it again."""


class RecordChanged(CommitRefused):
    """The record the commit updates is not in the state the request read (reprocessed, credited,
    or its outcome changed): read it again."""


class BalanceUnknown(Unavailable):
    """The point bank holding the pool's points did not answer a balance read (503 when it ends a
    request; the network path decides without redeeming). ``pool`` is the pool as last mirrored."""

    def __init__(self, pool: PointPool) -> None:
        super().__init__("The client's point bank did not answer; nothing was redeemed. Retry the request.")
        self.pool = pool


class Configuration(Protocol):
    """The programs the use cases read (``adapters/config_store.py``, cached; or in memory)."""

    def program(self, program_id: str) -> Program | None: ...


class InvalidStart(ValueError):
    """A continuation token that no page of this listing returned."""


class Ledger(Protocol):
    # -- accounts and pools -----------------------------------------------------------------
    def account(self, account_id: str) -> Account | None: ...
    def accounts(self, account_ids: Iterable[str]) -> dict[str, Account]: ...
    def cards(self, card_hashes: Iterable[str]) -> dict[str, AccountRef]: ...
    def accounts_of_customer(self, bcn_hash: str) -> list[AccountRef]: ...
    def pool(self, pool_id: str) -> PointPool | None: ...
    def pools(self, pool_ids: Iterable[str]) -> dict[str, PointPool]: ...
    def holders(
        self,
        account_ids: Iterable[str],
        pool_ids: Iterable[str],
        config: Configuration,
        program_ids: Iterable[str] = (),
    ) -> tuple[dict[str, Account], dict[str, PointPool]]:
        """Accounts and pools in one read, with the programs ``config`` has not cached yet when it
        can read them in the same request (DynamoDB: one BatchGetItem across both tables)."""
        ...

    def save_preferences(self, account: Account, preferences: CardholderPreferences, token: str) -> None:
        """From the version read only (RecordChanged otherwise); a lost answer is read back by
        ``token``."""

    # -- PWR -------------------------------------------------------------------------------
    def authorization(self, authorization_id: str) -> StoredAuthorization | None: ...
    def authorization_for_key(self, business_key: str) -> StoredAuthorization | None: ...
    def record_authorization(self, new: NewAuthorization) -> StoredAuthorization: ...
    def record_reprocess(self, new: NewReprocess) -> StoredAuthorization: ...
    def record_statement_credit(self, new: NewStatementCredit) -> StoredRequest: ...
    def authorizations(self, query: AuthorizationQuery) -> AuthorizationPage: ...

    # -- Digital Redemptions ---------------------------------------------------------------
    def request_for_key(self, business_key: str) -> StoredRequest | None: ...
    def record_redemption(self, new: NewRedemption) -> StoredRequest: ...
    def redemption_line(self, redemption_id: int) -> RedemptionLine | None: ...
    def report_fulfilment(self, line: RedemptionLine, report: FulfilmentReport) -> None:
        """Set the line's fulfilment report if it is still ``line.fulfilment``; RecordChanged otherwise."""
        ...

    def record_credit(self, new: NewCredit) -> StoredRequest: ...
    def redemption_history(self, query: RedemptionHistoryQuery) -> RedemptionHistoryPage: ...

    # -- the audit and the notifier ---------------------------------------------------------
    def pool_ids(self) -> Iterator[str]: ...
    def pool_ledger(self, pool_id: str) -> PoolLedger: ...
    def committed_event(self, image: Mapping[str, Any]) -> tuple[CommittedEvent, EventSource] | None:
        """The event an inserted outbox item holds (a stream NewImage), and where it lives."""

    def still_committed(self, source: EventSource) -> bool: ...
