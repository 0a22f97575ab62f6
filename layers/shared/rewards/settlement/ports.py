"""What the rebate use cases need from storage: the instructions and files (``adapters/
rebate_store.py`` on the ledger table) and the settlement bucket (``adapters/settlement_bucket.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from rewards.events import AuthorizationProcessed, RebatePosted, RebateRejected, RebateSent
from rewards.records import LedgerEntry, Movement, RedemptionLine
from rewards.settlement.records import RebateInstruction, SettlementFile


class RebateStore(Protocol):
    def add(self, rebate: RebateInstruction) -> bool:
        """Record a new PENDING instruction; False when its reference is already recorded."""

    def get(self, reference: str) -> RebateInstruction | None: ...

    def get_many(self, references: Iterable[str]) -> dict[str, RebateInstruction]: ...

    def of_day(self, client_id: str, day: date) -> Iterator[RebateInstruction]:
        """The instructions of one business day, shard by shard, in reference order."""

    def claim(self, rebates: list[RebateInstruction], file_id: str) -> list[RebateInstruction]:
        """Mark each PENDING one SENT in ``file_id`` (at once, in parallel); returns, in the given
        order, those now in this file (claimed now or before), leaving out those another file took."""

    def open_file(self, client_id: str, day: date, created_at: str) -> SettlementFile:
        """The file of (client, day): numbered with the client's next sequence number on first
        use, the same one on every later call."""

    def file(self, file_id: str) -> SettlementFile | None: ...

    def file_of_day(self, client_id: str, day: date) -> SettlementFile | None: ...

    def file_written(self, file: SettlementFile, event: RebateSent) -> SettlementFile:
        """WRITTEN, with its count, totals, hash and object key, and its event: one commit."""

    def post(self, rebate: RebateInstruction, reason: str | None, ack_key: str) -> bool:
        """SENT → POSTED by acknowledgement ``ack_key``; False when it is not SENT in its file any more."""

    def acknowledged(self, event: RebatePosted) -> bool:
        """The acknowledgement file's event, once per acknowledgement (False: already recorded)."""

    def reject(
        self,
        rebate: RebateInstruction,
        reason: str | None,
        ack_key: str,
        credit: Movement,
        seen_balance: Decimal,
        event: RebateRejected,
    ) -> None:
        """SENT → REJECTED with the points' credit and its event, in one conditional commit.
        Raises ``rewards.ledger.BalanceMoved`` when the pool moved, ``RebateChanged`` when the
        instruction is no longer SENT."""

    def everything(self) -> Iterator[RebateInstruction]:
        """Every instruction (reconciliation reads them all)."""

    def committed_sources(self) -> Iterator[AuthorizationProcessed | RedemptionLine]:
        """Every redeemed authorization (its current outcome, dated by its redeeming commit) and
        every DR line: what the instructions are reconciled against."""

    def rejection_credits(self) -> Mapping[str, LedgerEntry]:
        """The REBATE_REJECTED ledger entries, by instruction reference."""


class RebateChanged(Exception):
    """The instruction is not in the state the acknowledgement expects."""


class SettlementBucket(Protocol):
    def write_lines(self, key: str, lines: Iterable[str]) -> tuple[str, int]:
        """Stream the lines to ``key`` (multipart, bounded memory): (SHA-256 hex, bytes)."""

    def write_json(self, key: str, document: Mapping[str, Any]) -> None: ...

    def write_text(self, key: str, text: str) -> None: ...

    def read_text(self, key: str) -> str: ...
