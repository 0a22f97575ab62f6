"""Rebate instructions and settlement files on the ledger table (``settlement.ports.RebateStore``).

Every write is conditional and recognises its own earlier send: an instruction is added once per
reference, claimed by one file only, and POSTED or REJECTED once; a REJECTED commits with its
points credit and its event (one transaction, through the ledger's sending). Item layouts:
``rebate_items.py``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any

from rewards.adapters import ledger_items as items
from rewards.adapters import rebate_items as rb
from rewards.adapters import redemption_items as dr
from rewards.adapters.dynamo import Op, Table, TransactionRefused, to_attr
from rewards.adapters.dynamo_ledger import DynamoLedger, Unanswered
from rewards.errors import not_committed
from rewards.events import AuthorizationProcessed, RebatePosted, RebateRejected, RebateSent
from rewards.ledger import BalanceMoved
from rewards.records import LedgerEntry, Movement, RedemptionLine
from rewards.rules.rebates import SHARDS
from rewards.settlement.ports import RebateChanged
from rewards.settlement.records import FileState, RebateInstruction, RebateStatus, SettlementFile
from rewards.timestamps import parse_iso

CLAIM_WORKERS = 16  # conditional updates in flight at once while a file is claimed
MAX_FILE_TRIES = 8


class DynamoRebateStore:
    def __init__(self, table: Table, ledger: DynamoLedger | None = None) -> None:
        self.table = table
        self.ledger = ledger or DynamoLedger(table)

    # -- instructions ------------------------------------------------------------------------
    def add(self, rebate: RebateInstruction) -> bool:
        refused = self.ledger.send(
            lambda _: self.table.put(rb.rebate_item(rebate), condition="attribute_not_exists(pk)")
        )
        return refused is None

    def get(self, reference: str) -> RebateInstruction | None:
        item = self.table.get(*rb.rebate_key(reference))
        return rb.rebate_from_item(item) if item else None

    def get_many(self, references: Iterable[str]) -> dict[str, RebateInstruction]:
        found = self.table.get_many(rb.rebate_key(r) for r in references)
        return {str(item["ref"]): rb.rebate_from_item(item) for item in found.values()}

    def of_day(self, client_id: str, day: date) -> Iterator[RebateInstruction]:
        for shard in range(SHARDS):
            partition = rb.day_partition(client_id, day, shard)
            for item in self.table.query_pages(
                IndexName=rb.SETTLE_INDEX,
                KeyConditionExpression="settlePk = :p",
                ExpressionAttributeValues={":p": {"S": partition}},
            ):
                yield rb.rebate_from_item(item)

    def claim(self, rebates: list[RebateInstruction], file_id: str) -> list[RebateInstruction]:
        with ThreadPoolExecutor(max_workers=CLAIM_WORKERS) as pool:
            claimed = list(pool.map(lambda r: self._claim_one(r, file_id), rebates))
        return [rebate for rebate in claimed if rebate is not None]

    def _claim_one(self, rebate: RebateInstruction, file_id: str) -> RebateInstruction | None:
        pk, sk = rb.rebate_key(rebate.reference)
        values = {":sent": RebateStatus.SENT.value, ":pending": RebateStatus.PENDING.value, ":f": file_id}
        updated: list[Any] = []

        def write(_: str) -> None:
            updated.append(
                self.table.update(
                    pk,
                    sk,
                    UpdateExpression="SET #s = :sent, #f = :f",
                    ConditionExpression="#s = :pending OR (#s = :sent AND #f = :f)",
                    ExpressionAttributeNames={"#s": "status", "#f": "file"},
                    ExpressionAttributeValues={k: to_attr(v) for k, v in values.items()},
                )
            )

        try:
            refused = self.ledger.send(write)
        except Unanswered:
            current = self.get(rebate.reference)
            if current is not None and current.file_id == file_id:
                return current
            raise not_committed() from None
        return rb.rebate_from_item(updated[-1]) if refused is None else None

    def post(self, rebate: RebateInstruction, reason: str | None, ack_key: str) -> bool:
        pk, sk = rb.rebate_key(rebate.reference)
        values: dict[str, Any] = {":posted": RebateStatus.POSTED.value, ":sent": RebateStatus.SENT.value}
        values[":f"], values[":ack"] = rebate.file_id or "", ack_key
        update = "SET #s = :posted, ack = :ack"
        if reason:
            update, values[":r"] = update + ", reason = :r", reason

        def write(_: str) -> None:
            self.table.update(
                pk,
                sk,
                UpdateExpression=update,
                ConditionExpression="#s = :sent AND #f = :f",
                ExpressionAttributeNames={"#s": "status", "#f": "file"},
                ExpressionAttributeValues={k: to_attr(v) for k, v in values.items()},
            )

        try:
            refused = self.ledger.send(write)
        except Unanswered:
            current = self.get(rebate.reference)
            if current is not None and current.status is RebateStatus.POSTED:
                return True
            raise not_committed() from None
        return refused is None

    def reject(
        self,
        rebate: RebateInstruction,
        reason: str | None,
        ack_key: str,
        credit: Movement,
        seen_balance: Decimal,
        event: RebateRejected,
    ) -> None:
        pk, sk = rb.rebate_key(rebate.reference)
        now = parse_iso(event.occurredAt)
        values: dict[str, Any] = {":rej": RebateStatus.REJECTED.value, ":sent": RebateStatus.SENT.value}
        values[":f"] = rebate.file_id or ""
        values[":r"], values[":ack"] = reason or "REJECTED", ack_key
        status = self.table.update_action(
            pk,
            sk,
            "SET #s = :rej, reason = :r, ack = :ack",
            values,
            condition="#s = :sent AND #f = :f",
            names={"#s": "status", "#f": "file"},
        )
        ops = [
            Op("rebate", status),
            *self.ledger.movement_ops(credit, seen_balance, now),
            Op("event", self.table.put_action(items.event_item(event, now))),
        ]
        try:
            refused = self.ledger.transact(ops)
        except Unanswered:
            current = self.get(rebate.reference)
            if current is not None and current.status is RebateStatus.REJECTED:
                return
            raise not_committed() from None
        if refused is None:
            return
        if "rebate" in refused.roles:
            raise RebateChanged(rebate.reference)
        if "balance" in refused.roles:
            raise BalanceMoved(self.ledger.pool(credit.pool_id))
        raise RebateChanged(rebate.reference)  # the event id exists: this very commit happened

    # -- files ----------------------------------------------------------------------------------
    def file_of_day(self, client_id: str, day: date) -> SettlementFile | None:
        item = self.table.get(*rb.file_key(client_id, day))
        return rb.file_from_item(item) if item else None

    def file(self, file_id: str) -> SettlementFile | None:
        parts = rb.file_id_parts(file_id)
        found = self.file_of_day(*parts) if parts else None
        return found if found is not None and found.file_id == file_id else None

    def open_file(self, client_id: str, day: date, created_at: str) -> SettlementFile:
        for _ in range(MAX_FILE_TRIES):
            existing = self.file_of_day(client_id, day)
            if existing is not None:
                return existing
            counter = self.table.get(*rb.sequence_key(client_id))
            last = int(counter["last"]) if counter else 0
            file = SettlementFile(rb.file_id(client_id, day, last + 1), client_id, day, last + 1, created_at)
            pk, sk = rb.sequence_key(client_id)
            bump = self.table.update_action(
                pk,
                sk,
                "SET #l = :next",
                {":next": last + 1, ":last": last},
                condition="attribute_not_exists(pk) OR #l = :last",
                names={"#l": "last"},
            )
            try:
                self.ledger.transact([Op("sequence", bump), Op("file", self.table.put_action(rb.file_item(file)))])
            except Unanswered:
                continue  # read back on the next turn: the file is there if it committed
        found = self.file_of_day(client_id, day)
        if found is None:
            raise not_committed()
        return found

    def file_written(self, file: SettlementFile, event: RebateSent) -> SettlementFile:
        pk, sk = rb.file_key(file.client_id, file.business_date)
        written = rb.file_item(file)
        update = self.table.update_action(
            pk,
            sk,
            "SET #st = :w, #l = :lines, totals = :totals, sha256 = :sha, #o = :object",
            {
                ":w": FileState.WRITTEN.value,
                ":open": FileState.OPEN.value,
                ":lines": file.lines,
                ":totals": written.get("totals") or {},
                ":sha": file.sha256 or "",
                ":object": file.object_key or "",
            },
            condition="#st = :open",
            names={"#st": "state", "#l": "lines", "#o": "object"},
        )
        now = parse_iso(event.occurredAt)
        try:
            refused = self.ledger.transact(
                [Op("file", update), Op("event", self.table.put_action(items.event_item(event, now)))]
            )
        except Unanswered:
            refused = TransactionRefused({"file"})
        current = self.file_of_day(file.client_id, file.business_date)
        if current is None or (refused is not None and current.sha256 != file.sha256):
            raise not_committed()
        return current

    def acknowledged(self, event: RebatePosted) -> bool:
        now = parse_iso(event.occurredAt)
        refused = self.ledger.send(
            lambda _: self.table.put(items.event_item(event, now), condition="attribute_not_exists(pk)")
        )
        return refused is None

    # -- reconciliation ---------------------------------------------------------------------------
    def everything(self) -> Iterator[RebateInstruction]:
        for item in self._scan_type("REBATE"):
            yield rb.rebate_from_item(item)

    def committed_sources(self) -> Iterator[AuthorizationProcessed | RedemptionLine]:
        scan = self.table.scan(
            FilterExpression="sk IN (:auth, :line)",
            ExpressionAttributeValues={":auth": {"S": "AUTH"}, ":line": {"S": "REDEMPTION"}},
        )
        for item in scan:
            if item["sk"] == "REDEMPTION":
                yield dr.line_from_item(item)
                continue
            event = items.authorization_event(item)
            reprocessed = item.get("rp")
            if reprocessed:  # the rebate is owed from the reprocess's commit
                event = event.model_copy(
                    update={"occurredAt": str(reprocessed["at"]), "clientId": reprocessed["client"]}
                )
            yield event

    def rejection_credits(self) -> Mapping[str, LedgerEntry]:
        scan = self.table.scan(
            FilterExpression="#t = :entry AND #src = :rejected",
            ExpressionAttributeNames={"#t": "type", "#src": "source"},
            ExpressionAttributeValues={":entry": {"S": "LEDGER_ENTRY"}, ":rejected": {"S": "REBATE_REJECTED"}},
        )
        return {str(item["reference"]): items.ledger_entry_from_item(item) for item in scan}

    def _scan_type(self, kind: str) -> Iterator[Any]:
        return iter(
            self.table.scan(
                FilterExpression="#t = :t",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues={":t": {"S": kind}},
            )
        )
