"""The ledger on DynamoDB (``rewards.ledger.Ledger``): every outcome one conditional write, sent
exactly once whatever the network does.

A commit is sent with a ClientRequestToken; a transient failure re-sends the same write with the
same token (DynamoDB applies it at most once). A refusal whose record already holds this request's
commit token is the request's own earlier send, whose answer was lost: its stored state is the
answer. When the sends are spent, the record is read back once more; ``Unavailable`` (503) only
when nothing of the request is there. Item layouts: ``ledger_items.py``, ``redemption_items.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from rewards.adapters import ledger_items as items
from rewards.adapters import redemption_items as dr
from rewards.adapters.config_store import ConfigStore
from rewards.adapters.dynamo import (
    Item,
    Op,
    Table,
    TransactionRefused,
    TransientConflict,
    from_item,
    read_many,
    to_attr,
)
from rewards.domain import Account, AccountRef, CardholderPreferences, PointPool, RedemptionFrequency
from rewards.errors import not_committed
from rewards.events import CommittedEvent
from rewards.ids import authorization_id, new_token
from rewards.ledger import (
    AccountChanged,
    BalanceMoved,
    Configuration,
    Duplicate,
    IdTaken,
    InvalidStart,
    RecordChanged,
)
from rewards.records import (
    AuthorizationPage,
    AuthorizationQuery,
    BankCommit,
    EventSource,
    FulfilmentReport,
    HistoryEntry,
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
from rewards.timestamps import iso, parse_iso

MAX_SENDS = 6  # the same write, after a transient failure (20 ms, doubling)
MAX_PROBES = 8  # derived authorization ids tried for one business key (a collision is ~1e-10 rare)


class _Unanswered(Exception):
    """Every send failed without an answer: whether it committed is only known by reading."""


Unanswered = _Unanswered


class DynamoLedger:
    def __init__(self, table: Table, sleep: Callable[[float], None] = time.sleep) -> None:
        self.table = table
        self.sleep = sleep

    # -- sending ----------------------------------------------------------------------------
    def _send(self, write: Callable[[str], None]) -> TransactionRefused | None:
        """``write(token)`` until it is answered: None when it committed, the refusal otherwise."""
        token = new_token()
        for attempt in range(MAX_SENDS):
            try:
                write(token)
            except TransientConflict:
                self.sleep(0.02 * 2**attempt)
                continue
            except TransactionRefused as refused:
                return refused
            return None
        raise _Unanswered

    def _transact(self, ops: list[Op]) -> TransactionRefused | None:
        return self._send(lambda token: self.table.transact(ops, token))

    # Other adapters of the same table (rebates) commit through the same sending.
    def send(self, write: Callable[[str], None]) -> TransactionRefused | None:
        return self._send(write)

    def transact(self, ops: list[Op]) -> TransactionRefused | None:
        return self._transact(ops)

    def movement_ops(self, movement: Movement, seen: Decimal, now: datetime) -> list[Op]:
        return self._movement_ops(movement, seen, now)

    def _current(self, refused: TransactionRefused, role: str, key: tuple[str, str]) -> Item | None:
        return refused.current.get(role) or self.table.get(*key)

    def _balance_moved(self, refused: TransactionRefused, pool_id: str) -> BalanceMoved:
        current = refused.current.get("balance")
        return BalanceMoved(items.pool_from_item(current) if current else self.pool(pool_id))

    def _movement_ops(self, movement: Movement, seen: Decimal, now: datetime) -> list[Op]:
        """The balance change, conditioned on the balance the request read, and its ledger entry;
        for a movement a point bank committed, the pool set to the bank's balance and its intent resolved."""
        if movement.bank is not None:
            return self._bank_movement_ops(movement, movement.bank, now)
        pk, sk = items.pool_key(movement.pool_id)
        if movement.kind == "DEBIT":
            update, condition = "SET balance = balance - :p, totalDebits = totalDebits + :p", " AND balance >= :p"
        else:
            update, condition = "SET balance = balance + :p, totalCredits = totalCredits + :p", ""
        balance = self.table.update_action(
            pk,
            sk,
            update,
            {":p": movement.points, ":seen": seen},
            condition="attribute_exists(pk) AND balance = :seen" + condition,
            return_current=True,
        )
        return [Op("balance", balance), Op("ledger", self.table.put_action(items.ledger_entry_item(movement, now)))]

    def _bank_movement_ops(self, movement: Movement, bank: BankCommit, now: datetime) -> list[Op]:
        total = "totalDebits" if movement.kind == "DEBIT" else "totalCredits"
        mirror = self.table.update_action(
            *items.pool_key(movement.pool_id),
            f"SET balance = :after, {total} = {total} + :p",
            {":p": movement.points, ":after": bank.balance_after},
            condition="attribute_exists(pk)",
            return_current=True,
        )
        intent = self.table.update_action(
            *items.intent_key(bank.business_key, bank.bank_key),
            "SET #s = :done, resolvedAt = :now, entryId = :entry",
            {":done": "COMMITTED", ":pending": "PENDING", ":now": iso(now), ":entry": movement.entry_id},
            condition="#s = :pending",
            names={"#s": "status"},
        )
        return [
            Op("balance", mirror),
            Op("ledger", self.table.put_action(items.ledger_entry_item(movement, now))),
            Op("intent", intent),
        ]

    # -- accounts and pools ------------------------------------------------------------------
    def account(self, account_id: str) -> Account | None:
        item = self.table.get(*items.account_key(account_id))
        return items.account_from_item(item) if item else None

    def accounts(self, account_ids: Iterable[str]) -> dict[str, Account]:
        found = self.table.get_many(items.account_key(a) for a in account_ids)
        return {item["accountId"]: items.account_from_item(item) for item in found.values()}

    def cards(self, card_hashes: Iterable[str]) -> dict[str, AccountRef]:
        found = self.table.get_many(items.card_key(h) for h in card_hashes)
        return {pk.removeprefix("CARD#"): items.account_ref(item) for (pk, _), item in found.items()}

    def holders(
        self,
        account_ids: Iterable[str],
        pool_ids: Iterable[str],
        config: Configuration,
        program_ids: Iterable[str] = (),
    ) -> tuple[dict[str, Account], dict[str, PointPool]]:
        keys = [items.account_key(a) for a in account_ids] + [items.pool_key(p) for p in pool_ids]
        same_client = isinstance(config, ConfigStore) and config.table.client is self.table.client
        programs = config.uncached_programs(program_ids) if isinstance(config, ConfigStore) and same_client else []
        if not keys and not programs:
            return {}, {}
        wanted = {self.table: keys} | ({config.table: programs} if isinstance(config, ConfigStore) and programs else {})
        found = read_many(wanted)
        if isinstance(config, ConfigStore) and programs:
            config.remember_programs(programs, found.get(config.table, {}))
        mine = found.get(self.table, {})
        accounts = {i["accountId"]: items.account_from_item(i) for (_, sk), i in mine.items() if sk == "ACCOUNT"}
        pools = {i["poolId"]: items.pool_from_item(i) for (_, sk), i in mine.items() if sk == "POOL"}
        return accounts, pools

    def accounts_of_customer(self, bcn_hash: str) -> list[AccountRef]:
        item = self.table.get(*items.bcn_key(bcn_hash))
        return [items.account_ref(entry) for entry in item.get("accounts", [])] if item else []

    def pool(self, pool_id: str) -> PointPool | None:
        item = self.table.get(*items.pool_key(pool_id))
        return items.pool_from_item(item) if item else None

    def pools(self, pool_ids: Iterable[str]) -> dict[str, PointPool]:
        found = self.table.get_many(items.pool_key(p) for p in pool_ids)
        return {item["poolId"]: items.pool_from_item(item) for item in found.values()}

    def save_preferences(self, account: Account, preferences: CardholderPreferences, token: str) -> None:
        pk, sk = items.account_key(account.accountId)

        def write(_: str) -> None:
            self.table.update(
                pk,
                sk,
                UpdateExpression="SET preferences = :prefs, version = version + :one, preferencesToken = :token",
                ConditionExpression="version = :v",
                ExpressionAttributeValues={
                    ":prefs": to_attr(items.preferences_to_item(preferences)),
                    ":one": to_attr(1),
                    ":v": to_attr(account.version),
                    ":token": to_attr(token),
                },
            )

        try:
            refused = self._send(write)
        except _Unanswered:
            refused = TransactionRefused({"condition"})
        if refused is None:
            return
        current = self.table.get(pk, sk)
        if current is not None and current.get("preferencesToken") == token:
            return  # an earlier send of this request wrote them; its answer was lost
        raise RecordChanged() if current is not None else not_committed()

    # -- PWR: authorizations -----------------------------------------------------------------
    def authorization(self, authorization_id: str) -> StoredAuthorization | None:
        item = self.table.get(*items.authorization_key(authorization_id))
        return items.authorization_from_item(item) if item else None

    def authorization_for_key(self, business_key: str) -> StoredAuthorization | None:
        """Its id is derived from the key; a collision moved it to the next derived id."""
        for probe in range(MAX_PROBES):
            item = self.table.get(*items.authorization_key(authorization_id(business_key, probe)))
            if item is None:
                return None
            if item.get("key") == business_key:
                return items.authorization_from_item(item)
        return None

    def record_authorization(self, new: NewAuthorization) -> StoredAuthorization:
        stored = new.authorization
        key = items.authorization_key(stored.id)
        record = items.authorization_item(stored, new.business_date, new.commit_token, new.event)
        try:
            if new.movement is None:  # one item, no transaction: it is its own uniqueness and outbox
                refused = self._send(
                    lambda _: self.table.put(
                        record, condition="attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD"
                    )
                )
                if refused is not None:
                    refused = TransactionRefused({"record"}, {"record": refused.current.get("condition", {})})
            else:
                refused = self._transact(self._authorization_ops(new, record))
        except _Unanswered:
            mine = self.table.get(*key)
            if mine is not None and mine.get("token") == new.commit_token:
                return items.authorization_from_item(mine)
            raise not_committed() from None
        if refused is None:
            return stored
        if "record" in refused.roles:
            current = self._current(refused, "record", key)
            if current and current.get("token") == new.commit_token:
                return items.authorization_from_item(current)
            if current and current.get("key") == stored.business_key:
                raise Duplicate(items.authorization_from_item(current))
            raise IdTaken()
        if "balance" in refused.roles:
            raise self._balance_moved(refused, stored.pool_id)
        raise AccountChanged()

    def _authorization_ops(self, new: NewAuthorization, record: Item) -> list[Op]:
        assert new.movement is not None
        now = parse_iso(new.authorization.processed_at)
        ops = [
            Op("record", self.table.put_action(record, return_current=True)),
            *self._movement_ops(new.movement, new.pool_seen.balance, now),
        ]
        if new.turn_off:  # SNGL: pinned at the version read, so it turns itself OFF exactly once
            pk, sk = items.account_key(new.account.accountId)
            ops.append(
                Op(
                    "account",
                    self.table.update_action(
                        pk,
                        sk,
                        "SET preferences.redemptionFrequency = :off, version = version + :one",
                        {":off": RedemptionFrequency.OFF.value, ":one": 1, ":v": new.account.version},
                        condition="version = :v",
                    ),
                )
            )
        return ops

    def record_reprocess(self, new: NewReprocess) -> StoredAuthorization:
        updated = new.updated
        assert updated.reprocessed is not None
        key = items.authorization_key(updated.id)
        now = parse_iso(updated.reprocessed.at)
        update = self.table.update_action(
            *key,
            "SET o = :outcome, rp = :reprocess, gsi1pk = :partition, #first = if_not_exists(#first, :expected)",
            {
                ":outcome": items.outcome_to_item(updated.outcome),
                ":reprocess": items.reprocessed_to_item(updated.reprocessed),
                ":partition": items.authorizations_partition(
                    updated.account_id, updated.outcome.reason.category, reprocessed=True
                ),
                ":expected": new.expected_reason.value,
            },
            condition="attribute_exists(pk) AND attribute_not_exists(rp) AND o.r = :expected",
            names={"#first": "first"},
        )
        ops = [
            Op("record", update),
            *self._movement_ops(new.movement, new.pool_seen.balance, now),
            Op("event", self.table.put_action(items.event_item(new.event, now))),
        ]
        try:
            refused = self._transact(ops)
        except _Unanswered:
            refused = TransactionRefused({"record"})
        if refused is None:
            return updated
        if "record" in refused.roles:
            current = self.authorization(updated.id)
            if current is not None and current.reprocessed == updated.reprocessed:
                return current  # this request's own earlier send
            if current is None:
                raise not_committed()
            raise RecordChanged()
        raise self._balance_moved(refused, new.movement.pool_id)

    def record_statement_credit(self, new: NewStatementCredit) -> StoredRequest:
        key = items.request_key(new.credit_id)
        created = str(new.event.data.recordedAt)
        auth_pk, auth_sk = items.authorization_key(new.authorization_id)
        update = self.table.update_action(
            auth_pk,
            auth_sk,
            "SET sc = :credit, o.r = :reason, o.p = :points, o.c = :cash, gsi1pk = :partition,"
            " #first = if_not_exists(#first, o.r)",
            {
                ":credit": items.compact(new.credit),
                ":reason": new.reason.value,
                ":points": new.points,
                ":cash": new.cash,
                ":partition": items.authorizations_partition(new.account_id, new.reason.category, new.reprocessed),
                ":account": new.account_id,
            },
            condition="attribute_exists(pk) AND acct = :account AND attribute_not_exists(sc)",
            names={"#first": "first"},
        )
        ops = [
            Op("unique", self.table.put_action(dr.unique_item(new.key, "STATEMENT_CREDIT", new.credit_id, created))),
            Op("authorization", update),
            Op("request", self.table.put_action(dr.statement_credit_item(new, created))),
        ]
        try:
            refused = self._transact(ops)
        except _Unanswered:
            refused = TransactionRefused({"request"})
        if refused is None:
            return StoredRequest(new.credit_id, new.fingerprint, new.response.model_dump_json())
        if "request" in refused.roles:
            item = self.table.get(*key)
            if item is not None and item.get("token") == new.commit_token:
                return dr.stored_statement_credit(item)
        if "unique" in refused.roles:
            raise Duplicate(self.request_for_key(new.key))
        if "authorization" in refused.roles:
            raise RecordChanged()
        raise not_committed()

    def authorizations(self, query: AuthorizationQuery) -> AuthorizationPage:
        """Newest first, from one gsi1 partition per category and state, each read only as far as the
        page needs; ``start`` is the sort key the previous page ended before."""
        low, high = items.day_range(query.first, query.last)
        if query.start is not None:
            high = min(high, query.start)
        found: list[Item] = []
        wanted = query.limit + 1 + (query.start is not None)  # BETWEEN includes the start itself
        for partition in items.authorizations_partitions(query.account_id, query.categories, query.include_reprocessed):
            found += self.table.query(
                IndexName=items.HISTORY_INDEX,
                KeyConditionExpression="gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={":pk": {"S": partition}, ":lo": {"S": low}, ":hi": {"S": high}},
                ScanIndexForward=False,
                Limit=wanted,  # DynamoDB still pages at 1 MB
                max_items=wanted,
            )
        found = [item for item in found if query.start is None or item["gsi1sk"] < query.start]
        found.sort(key=lambda item: str(item["gsi1sk"]), reverse=True)
        page = found[: query.limit]
        next_start = str(page[-1]["gsi1sk"]) if len(found) > query.limit else None
        return AuthorizationPage([items.authorization_from_item(item) for item in page], next_start)

    # -- Digital Redemptions -------------------------------------------------------------------
    def request_for_key(self, business_key: str) -> StoredRequest | None:
        unique = self.table.get(*items.unique_key(business_key))
        if unique is None:
            return None
        reference, kind = str(unique["reference"]), unique.get("kind", "REDEMPTION")
        if kind == "CREDIT":
            item = self.table.get(*items.credit_key(reference))
            return dr.stored_credit(item) if item else None
        if kind == "STATEMENT_CREDIT":
            item = self.table.get(*items.request_key(reference))
            return dr.stored_statement_credit(item) if item else None
        item = self.table.get(*items.line_key(int(reference)))
        return dr.stored_redemption(item) if item else None

    def record_redemption(self, new: NewRedemption) -> StoredRequest:
        first, *others = new.lines
        key = items.line_key(first.redemption_id)
        now = parse_iso(first.created_at)
        ops = [
            Op(role, self.table.put_action(dr.unique_item(k, "REDEMPTION", str(first.redemption_id), first.created_at)))
            for role, k in new.keys.items()
        ]
        ops += self._movement_ops(new.movement, new.pool_seen.balance, now)
        ops.append(Op("request", self.table.put_action(dr.first_line_item(new), return_current=True)))
        ops += [Op("line", self.table.put_action(dr.line_item(o, new.business_date))) for o in others]
        try:
            refused = self._transact(ops)
        except _Unanswered:
            refused = TransactionRefused({"request"})
        if refused is None:
            return StoredRequest(first.request_id, new.fingerprint, new.response.model_dump_json())
        if "request" in refused.roles:
            current = self._current(refused, "request", key)
            if current is not None and current.get("token") == new.commit_token:
                return dr.stored_redemption(current)
            if current is None:
                raise not_committed()
        for role, business_key in new.keys.items():
            if role in refused.roles:
                raise Duplicate(self.request_for_key(business_key), role)
        if refused.roles & {"request", "line"}:
            raise IdTaken()
        raise self._balance_moved(refused, new.movement.pool_id)

    def redemption_line(self, redemption_id: int) -> RedemptionLine | None:
        item = self.table.get(*items.line_key(redemption_id))
        return dr.line_from_item(item) if item else None

    def report_fulfilment(self, line: RedemptionLine, report: FulfilmentReport) -> None:
        pk, sk = items.line_key(line.redemption_id)
        seen = line.fulfilment
        # Each report has its own time: the one the use case read is the one this write replaces.
        unchanged = "fulfilment.#at = :seen" if seen else "attribute_not_exists(fulfilment)"
        values = {":report": to_attr(dr.fulfilment_to_item(report))}
        extra: dict[str, Any] = {}
        if seen:
            values[":seen"] = to_attr(seen.reported_at)
            extra["ExpressionAttributeNames"] = {"#at": "at"}

        def write(_: str) -> None:
            self.table.update(
                pk,
                sk,
                UpdateExpression="SET fulfilment = :report",
                ConditionExpression=f"attribute_exists(pk) AND {unchanged}",
                ExpressionAttributeValues=values,
                **extra,
            )

        try:
            refused = self._send(write)
        except _Unanswered:
            refused = TransactionRefused({"condition"})
        if refused is None:
            return
        current = self.table.get(pk, sk)
        if current is not None and dr.line_from_item(current).fulfilment == report:
            return  # an earlier send of this report wrote it; its answer was lost
        raise RecordChanged() if current is not None else not_committed()

    def record_credit(self, new: NewCredit) -> StoredRequest:
        credit, line = new.credit, new.credit.line
        key = items.credit_key(credit.credit_id)
        now = parse_iso(credit.created_at)
        line_pk, line_sk = items.line_key(line.redemption_id)
        ops = [
            Op(
                "creditable",
                self.table.update_action(
                    line_pk,
                    line_sk,
                    "SET credited = credited + :p",
                    {":p": credit.points, ":seen": line.credited},
                    condition="attribute_exists(pk) AND credited = :seen",
                ),
            ),
            *self._movement_ops(new.movement, new.pool_seen.balance, now),
            Op("record", self.table.put_action(dr.credit_item(new))),
        ]
        if new.key:
            ops.append(
                Op(
                    "idempotency",
                    self.table.put_action(dr.unique_item(new.key, "CREDIT", credit.credit_id, credit.created_at)),
                )
            )
        try:
            refused = self._transact(ops)
        except _Unanswered:
            refused = TransactionRefused({"record"})
        if refused is None:
            return StoredRequest(credit.credit_id, new.fingerprint, new.response.model_dump_json())
        if "record" in refused.roles:
            current = self.table.get(*key)
            if current is not None and current.get("token") == new.commit_token:
                return dr.stored_credit(current)
            if current is None:
                raise not_committed()
            raise IdTaken()
        if new.key and "idempotency" in refused.roles:
            raise Duplicate(self.request_for_key(new.key), "idempotency")
        if "creditable" in refused.roles:
            raise RecordChanged()
        raise self._balance_moved(refused, new.movement.pool_id)

    def redemption_history(self, query: RedemptionHistoryQuery) -> RedemptionHistoryPage:
        low, high = items.day_range(query.first, query.last)
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "IndexName": items.HISTORY_INDEX,
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":pk": {"S": items.history_partition(query.account_id)},
                ":lo": {"S": low},
                ":hi": {"S": high},
            },
            "ScanIndexForward": False,
            "Limit": query.limit,
        }
        if query.start is not None:
            kwargs["ExclusiveStartKey"] = history_start_key(query, query.start, low, high)
        if query.client_id is not None:
            kwargs["FilterExpression"] = "#client = :client"
            kwargs["ExpressionAttributeNames"] = {"#client": "client"}
            kwargs["ExpressionAttributeValues"][":client"] = {"S": query.client_id}
        response = Table._call(self.table.client.query, **kwargs)
        entries = [history_entry(from_item(raw)) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return RedemptionHistoryPage(entries, last["gsi1sk"]["S"] + "|" + last["pk"]["S"] if last else None)

    # -- the audit and the notifier ------------------------------------------------------------
    def pool_ids(self) -> Iterator[str]:
        for item in self.table.scan(
            FilterExpression="sk = :sk", ExpressionAttributeValues={":sk": {"S": "POOL"}}, ProjectionExpression="poolId"
        ):
            yield str(item["poolId"])

    def pool_ledger(self, pool_id: str) -> PoolLedger:
        found = self.table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": items.pool_key(pool_id)[0]}},
            ConsistentRead=True,
        )
        pool = next((item for item in found if item["sk"] == "POOL"), None)
        entries = [items.ledger_entry_from_item(i) for i in found if str(i["sk"]).startswith("LEDGER#")]
        return PoolLedger(
            pool=items.pool_from_item(pool) if pool else None,
            total_debits=Decimal(str(pool.get("totalDebits", 0))) if pool else Decimal(0),
            total_credits=Decimal(str(pool.get("totalCredits", 0))) if pool else Decimal(0),
            entries=entries,
        )

    def committed_event(self, image: Mapping[str, Any]) -> tuple[CommittedEvent, EventSource] | None:
        """The committed event an inserted outbox item holds (a stream NewImage, deserialized)."""
        item = dict(image)
        if "eventType" not in item:
            return None
        kind = str(item["sk"])
        event: CommittedEvent
        if kind == "AUTH":
            event = items.authorization_event(item)
        elif kind == "REDEMPTION":
            event = dr.redemption_event(item)
        else:  # CREDIT, DRREQUEST and a reprocess's EVENT keep the event as JSON
            event = items.json_event(item)
        return event, EventSource((str(item["pk"]), kind))

    def still_committed(self, source: EventSource) -> bool:
        """A consistent read: a stream record of a write that is not in the table is never notified."""
        return self.table.get(*source.key) is not None


def history_entry(item: Item) -> HistoryEntry:
    if item["sk"] == "CREDIT":
        credit = dr.credit_from_item(item)
        return HistoryEntry("CREDIT", credit.line, credit)
    return HistoryEntry("REDEMPTION", dr.line_from_item(item))


def history_start_key(query: RedemptionHistoryQuery, start: str, low: str, high: str) -> dict[str, Any]:
    """The LastEvaluatedKey a page's ``next_start`` stands for: within the account and the range."""
    sort_key, _, pk = start.partition("|")
    if not (low <= sort_key <= high) or not pk.startswith(("REDEMPTION#", "CREDIT#")):
        raise InvalidStart(start)
    sk = "CREDIT" if pk.startswith("CREDIT#") else "REDEMPTION"
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "gsi1pk": {"S": items.history_partition(query.account_id)},
        "gsi1sk": {"S": sort_key},
    }
