"""Rebate instructions and settlement files, as the use cases see them (no storage keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class RebateStatus(StrEnum):
    PENDING = "PENDING"  # owed, in no file yet
    SENT = "SENT"  # in a settlement file (file_id)
    POSTED = "POSTED"  # the issuer credited the card
    REJECTED = "REJECTED"  # the issuer refused it: the points went back to the pool


@dataclass(frozen=True)
class RebateInstruction:
    reference: str  # PWR-{authorization id} or DR-{redemption line id}: the file's line reference
    source: str  # PWR or DR_CASHBACK
    source_id: str
    client_id: str  # the issuer the file goes to
    program_id: str
    account_id: str  # RANAC, never a card number
    beneficiary: str | None
    points: Decimal
    cash: Decimal
    currency: str
    business_date: date  # the issuer's business day of the commit
    committed_at: str
    status: RebateStatus = RebateStatus.PENDING
    file_id: str | None = None
    reason: str | None = None  # the issuer's reason, for REJECTED (and POSTED, if given)
    ack_key: str | None = None  # the acknowledgement file that made it POSTED or REJECTED


class FileState(StrEnum):
    OPEN = "OPEN"  # numbered; instructions are being claimed
    WRITTEN = "WRITTEN"  # the file and its manifest are in the bucket


@dataclass(frozen=True)
class SettlementFile:
    file_id: str
    client_id: str
    business_date: date
    sequence: int
    created_at: str
    state: FileState = FileState.OPEN
    lines: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)
    sha256: str | None = None
    object_key: str | None = None


@dataclass(frozen=True)
class AckLine:
    number: int  # line number in the acknowledgement file
    reference: str
    status: RebateStatus  # POSTED or REJECTED
    reason: str | None


@dataclass(frozen=True)
class AckOutcome:
    number: int
    reference: str
    result: str  # APPLIED, ALREADY_APPLIED, REFUSED
    detail: str = ""
