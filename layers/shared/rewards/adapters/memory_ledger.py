"""The ledger in memory (``rewards.ledger.Ledger``), for use-case tests without moto.

It keeps the domain records themselves and refuses a commit for the same reasons the DynamoDB
ledger does, checked in the same order: a business key taken, an id taken, the pool's balance not
the one read, the account's version or the record's state moved. Nothing is lost on its way, so
there is no read-back to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from rewards.adapters.ledger_items import authorization_sort_key
from rewards.domain import Account, AccountRef, CardholderPreferences, PointPool, RedemptionFrequency
from rewards.events import CommittedEvent
from rewards.ids import authorization_id
from rewards.ledger import (
    AccountChanged,
    BalanceMoved,
    Configuration,
    Duplicate,
    IdTaken,
    InvalidStart,
    RecordChanged,
)
from rewards.models.config import Program
from rewards.records import (
    AuthorizationPage,
    AuthorizationQuery,
    CreditEntry,
    EventSource,
    FulfilmentReport,
    HistoryEntry,
    LedgerEntry,
    Movement,
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

MAX_PROBES = 8


@dataclass
class MemoryConfig:
    """Programs in memory (``rewards.ledger.Configuration``)."""

    programs: dict[str, Program] = field(default_factory=dict)

    def program(self, program_id: str) -> Program | None:
        return self.programs.get(program_id)


@dataclass
class _Pool:
    pool: PointPool
    debits: Decimal = Decimal(0)
    credits: Decimal = Decimal(0)
    entries: list[LedgerEntry] = field(default_factory=list)


@dataclass
class MemoryLedger:
    account_items: dict[str, Account] = field(default_factory=dict)
    pool_items: dict[str, _Pool] = field(default_factory=dict)
    card_refs: dict[str, AccountRef] = field(default_factory=dict)
    customer_refs: dict[str, list[AccountRef]] = field(default_factory=dict)
    auths: dict[str, tuple[StoredAuthorization, str]] = field(default_factory=dict)  # id -> (record, sort key)
    requests: dict[str, StoredRequest] = field(default_factory=dict)  # business key -> stored request
    lines: dict[int, tuple[RedemptionLine, str]] = field(default_factory=dict)  # rid -> (line, sort key)
    credits: dict[str, tuple[CreditEntry, str]] = field(default_factory=dict)
    events: list[CommittedEvent] = field(default_factory=list)

    # -- setting up ---------------------------------------------------------------------------
    def add_pool(self, pool: PointPool) -> None:
        self.pool_items[pool.poolId] = _Pool(pool)

    def add_account(self, account: Account, card_hash: str | None = None) -> None:
        self.account_items[account.accountId] = account
        if card_hash is not None:
            self.card_refs[card_hash] = AccountRef(account.accountId, account.programId, account.poolId)

    # -- accounts and pools ---------------------------------------------------------------------
    def account(self, account_id: str) -> Account | None:
        return self.account_items.get(account_id)

    def accounts(self, account_ids: Iterable[str]) -> dict[str, Account]:
        return {a: self.account_items[a] for a in account_ids if a in self.account_items}

    def cards(self, card_hashes: Iterable[str]) -> dict[str, AccountRef]:
        return {h: self.card_refs[h] for h in card_hashes if h in self.card_refs}

    def accounts_of_customer(self, bcn_hash: str) -> list[AccountRef]:
        return list(self.customer_refs.get(bcn_hash, []))

    def pool(self, pool_id: str) -> PointPool | None:
        found = self.pool_items.get(pool_id)
        return found.pool if found else None

    def pools(self, pool_ids: Iterable[str]) -> dict[str, PointPool]:
        return {p: self.pool_items[p].pool for p in pool_ids if p in self.pool_items}

    def holders(
        self,
        account_ids: Iterable[str],
        pool_ids: Iterable[str],
        config: Configuration,
        program_ids: Iterable[str] = (),
    ) -> tuple[dict[str, Account], dict[str, PointPool]]:
        return self.accounts(account_ids), self.pools(pool_ids)

    def save_preferences(self, account: Account, preferences: CardholderPreferences, token: str) -> None:
        current = self.account_items.get(account.accountId)
        if current is None or current.version != account.version:
            raise RecordChanged()
        self.account_items[account.accountId] = replace(current, preferences=preferences, version=current.version + 1)

    def _check_pool(self, movement: Movement, seen: PointPool) -> None:
        current = self.pool_items.get(movement.pool_id)
        if current is None or current.pool.balance != seen.balance:
            raise BalanceMoved(current.pool if current else None)

    def _move(self, movement: Movement) -> None:
        found = self.pool_items[movement.pool_id]
        sign = -1 if movement.kind == "DEBIT" else 1
        found.pool = replace(found.pool, balance=found.pool.balance + sign * movement.points)
        if movement.kind == "DEBIT":
            found.debits += movement.points
        else:
            found.credits += movement.points
        found.entries.append(
            LedgerEntry(
                movement.entry_id,
                movement.kind,
                movement.points,
                movement.source,
                movement.reference,
                movement.account_id,
            )
        )

    # -- PWR ----------------------------------------------------------------------------------
    def authorization(self, authorization_id: str) -> StoredAuthorization | None:
        found = self.auths.get(authorization_id)
        return found[0] if found else None

    def authorization_for_key(self, business_key: str) -> StoredAuthorization | None:
        for probe in range(MAX_PROBES):
            found = self.authorization(authorization_id(business_key, probe))
            if found is None:
                return None
            if found.business_key == business_key:
                return found
        return None

    def record_authorization(self, new: NewAuthorization) -> StoredAuthorization:
        stored = new.authorization
        existing = self.authorization(stored.id)
        if existing is not None:
            if existing.business_key == stored.business_key:
                raise Duplicate(existing)
            raise IdTaken()
        if new.movement is not None:
            self._check_pool(new.movement, new.pool_seen)
            if new.turn_off:
                current = self.account_items.get(new.account.accountId)
                if current is None or current.version != new.account.version:
                    raise AccountChanged()
                preferences = replace(current.preferences, redemptionFrequency=RedemptionFrequency.OFF)
                self.account_items[current.accountId] = replace(
                    current, preferences=preferences, version=current.version + 1
                )
            self._move(new.movement)
        self.auths[stored.id] = (stored, authorization_sort_key(new.business_date, stored.fields, stored.id))
        self.events.append(new.event)
        return stored

    def record_reprocess(self, new: NewReprocess) -> StoredAuthorization:
        updated = new.updated
        found = self.auths.get(updated.id)
        if found is None or found[0].reprocessed is not None or found[0].outcome.reason != new.expected_reason:
            raise RecordChanged()
        self._check_pool(new.movement, new.pool_seen)
        self._move(new.movement)
        self.auths[updated.id] = (updated, found[1])
        self.events.append(new.event)
        return updated

    def record_statement_credit(self, new: NewStatementCredit) -> StoredRequest:
        if new.key in self.requests:
            raise Duplicate(self.requests[new.key])
        found = self.auths.get(new.authorization_id)
        if found is None or found[0].account_id != new.account_id or found[0].statement_credit is not None:
            raise RecordChanged()
        current = found[0]
        outcome = replace(current.outcome, reason=new.reason, points=new.points, cash=new.cash)
        updated = replace(
            current, outcome=outcome, statement_credit=dict(new.credit), first_reason=current.first_reason
        )
        self.auths[current.id] = (updated, found[1])
        stored = StoredRequest(new.credit_id, new.fingerprint, new.response.model_dump_json())
        self.requests[new.key] = stored
        self.events.append(new.event)
        return stored

    def authorizations(self, query: AuthorizationQuery) -> AuthorizationPage:
        low, high = query.first.isoformat(), f"{query.last.isoformat()}~"
        chosen = [
            (sort_key, stored)
            for stored, sort_key in self.auths.values()
            if stored.account_id == query.account_id
            and low <= sort_key <= high
            and (query.start is None or sort_key < query.start)
            and stored.outcome.reason.category in query.categories
            and (query.include_reprocessed or stored.reprocessed is None)
        ]
        chosen.sort(key=lambda pair: pair[0], reverse=True)
        page = chosen[: query.limit]
        next_start = page[-1][0] if len(chosen) > query.limit else None
        return AuthorizationPage([stored for _, stored in page], next_start)

    # -- Digital Redemptions ---------------------------------------------------------------------
    def request_for_key(self, business_key: str) -> StoredRequest | None:
        return self.requests.get(business_key)

    def record_redemption(self, new: NewRedemption) -> StoredRequest:
        for role, key in new.keys.items():
            if key in self.requests:
                raise Duplicate(self.requests[key], role)
        if any(line.redemption_id in self.lines for line in new.lines):
            raise IdTaken()
        self._check_pool(new.movement, new.pool_seen)
        self._move(new.movement)
        for line in new.lines:
            self.lines[line.redemption_id] = (line, _line_sort_key(new.business_date, line))
        stored = StoredRequest(new.lines[0].request_id, new.fingerprint, new.response.model_dump_json())
        for key in new.keys.values():
            self.requests[key] = stored
        self.events.append(new.event)
        return stored

    def redemption_line(self, redemption_id: int) -> RedemptionLine | None:
        found = self.lines.get(redemption_id)
        return found[0] if found else None

    def report_fulfilment(self, line: RedemptionLine, report: FulfilmentReport) -> None:
        found = self.lines.get(line.redemption_id)
        if found is None or found[0].fulfilment != line.fulfilment:
            raise RecordChanged()
        self.lines[line.redemption_id] = (replace(found[0], fulfilment=report), found[1])

    def record_credit(self, new: NewCredit) -> StoredRequest:
        credit = new.credit
        if new.key and new.key in self.requests:
            raise Duplicate(self.requests[new.key], "idempotency")
        if credit.credit_id in self.credits:
            raise IdTaken()
        found = self.lines.get(credit.line.redemption_id)
        if found is None or found[0].credited != credit.line.credited:
            raise RecordChanged()
        self._check_pool(new.movement, new.pool_seen)
        self._move(new.movement)
        self.lines[credit.line.redemption_id] = (
            replace(found[0], credited=found[0].credited + credit.points),
            found[1],
        )
        sort_key = f"{new.business_date.isoformat()}#{credit.created_at}#CREDIT#{credit.credit_id}"
        self.credits[credit.credit_id] = (credit, sort_key)
        stored = StoredRequest(credit.credit_id, new.fingerprint, new.response.model_dump_json())
        if new.key:
            self.requests[new.key] = stored
        self.events.append(new.event)
        return stored

    def redemption_history(self, query: RedemptionHistoryQuery) -> RedemptionHistoryPage:
        low, high = query.first.isoformat(), f"{query.last.isoformat()}~"
        if query.start is not None and not (low <= query.start <= high):
            raise InvalidStart(query.start)
        entries = [(key, HistoryEntry("REDEMPTION", line)) for line, key in self.lines.values()]
        entries += [(key, HistoryEntry("CREDIT", credit.line, credit)) for credit, key in self.credits.values()]
        chosen = [
            (key, entry)
            for key, entry in entries
            if entry.line.account_id == query.account_id
            and low <= key <= high
            and (query.start is None or key < query.start)
            and (
                query.client_id is None
                or (entry.credit.client_id if entry.credit else entry.line.client_id) == query.client_id
            )
        ]
        chosen.sort(key=lambda pair: pair[0], reverse=True)
        page = chosen[: query.limit]
        next_start = page[-1][0] if len(chosen) > query.limit else None
        return RedemptionHistoryPage([entry for _, entry in page], next_start)

    # -- the audit and the notifier -------------------------------------------------------------
    def pool_ids(self) -> Iterator[str]:
        yield from list(self.pool_items)

    def pool_ledger(self, pool_id: str) -> PoolLedger:
        found = self.pool_items.get(pool_id)
        if found is None:
            return PoolLedger(None, Decimal(0), Decimal(0), [])
        return PoolLedger(found.pool, found.debits, found.credits, list(found.entries))

    def committed_event(self, image: Mapping[str, Any]) -> tuple[CommittedEvent, EventSource] | None:
        event = image.get("event")
        return (event, EventSource(("EVENT", event.eventId))) if event is not None else None

    def still_committed(self, source: EventSource) -> bool:
        return any(event.eventId == source.key[1] for event in self.events)


def _line_sort_key(business_date: date, line: RedemptionLine) -> str:
    return f"{business_date.isoformat()}#{line.created_at}#REDEMPTION#{line.redemption_id}"
