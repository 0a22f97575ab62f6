"""The rebate rules (docs/settlement.md): which committed outcome owes a rebate, the issuer's
business day it belongs to, and the shard of the day's key it is written under. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from rewards.events import AuthorizationProcessed, CommittedEvent, RedemptionCreated
from rewards.records import RedemptionLine
from rewards.rules.dates import zone
from rewards.rules.reasons import ReasonCode

SHARDS = 16  # a day's instructions spread over 16 keys: 1,000 a second is ~63 per key (limit 1,000 WCU/s)
PWR_SOURCE, DR_SOURCE = "PWR", "DR_CASHBACK"
CASHBACK = "CASHBACK"


@dataclass(frozen=True)
class Owed:
    """A cash credit a committed outcome owes to a cardholder's card or cashback account."""

    reference: str  # the instruction's id: one per authorization, one per CASHBACK line
    source: str
    source_id: str  # the authorization id, or the redemption line id
    program_id: str
    requesting_client_id: str | None
    account_id: str  # RANAC
    beneficiary: str | None  # the CASHBACK account (masked text), None for the transacting card
    points: Decimal
    cash: Decimal
    currency: str
    committed_at: str


def rebates_owed(event: CommittedEvent, lines: Mapping[int, RedemptionLine] | None = None) -> list[Owed]:
    """A redeemed authorization (60, at first processing or at reprocess) owes its cashBackAmount;
    each line of a CASHBACK redemption (``lines``: the committed lines, by redemption id) owes its
    cash value to the cashback account. Nothing else owes cash: a statement credit was paid by the
    client's own point bank, a DR credit returns points."""
    if isinstance(event, AuthorizationProcessed):
        data = event.data
        cash = Decimal(data.cashBackAmount)
        reference = authorization_rebate(data.authorizationId, data.responseReasonId, cash)
        if reference is None:
            return []
        return [
            Owed(
                reference=reference,
                source=PWR_SOURCE,
                source_id=data.authorizationId,
                program_id=data.programId,
                requesting_client_id=event.clientId,
                account_id=data.accountId,
                beneficiary=None,
                points=Decimal(data.pointsRedeemed),
                cash=cash,
                currency=data.currency,
                committed_at=event.occurredAt,
            )
        ]
    if isinstance(event, RedemptionCreated) and event.data.redemptionType == CASHBACK:
        found = lines or {}
        owed = (cashback_owed(found[rid]) for rid in event.data.redemptionIds if rid in found)
        return [o for o in owed if o is not None]
    return []


def cashback_owed(line: RedemptionLine) -> Owed | None:
    """What one committed CASHBACK line owes its cashback account (None for other lines)."""
    reference = line_rebate(line.redemption_id, line.redemption_type, line.cash)
    if reference is None:
        return None
    return Owed(
        reference=reference,
        source=DR_SOURCE,
        source_id=str(line.redemption_id),
        program_id=line.program_id,
        requesting_client_id=line.client_id,
        account_id=line.account_id,
        beneficiary=str((line.details or {}).get("cashbackAccountId") or "") or None,
        points=line.points,
        cash=line.cash,
        currency=line.currency,
        committed_at=line.created_at,
    )


def authorization_rebate(authorization_id: str, reason_id: str, cash: Decimal) -> str | None:
    """The reference of the rebate an authorization owes: a redemption (60) with cash; else None."""
    if reason_id != ReasonCode.REDEEMED.value or cash <= 0:
        return None
    return f"PWR-{authorization_id}"


def line_rebate(redemption_id: int, redemption_type: str, cash: Decimal) -> str | None:
    """The reference of the rebate a DR line owes: a CASHBACK line with cash; else None."""
    if redemption_type != CASHBACK or cash <= 0:
        return None
    return f"DR-{redemption_id}"


def cashback_lines_needed(event: CommittedEvent) -> list[int]:
    """The redemption lines ``rebates_owed`` needs for this event (those of a CASHBACK redemption)."""
    if isinstance(event, RedemptionCreated) and event.data.redemptionType == CASHBACK:
        return list(event.data.redemptionIds)
    return []


def _shift(cut_off: str) -> timedelta:
    """How far a cut-off moves local time so that the business day is the shifted calendar date."""
    hours, minutes = (int(part) for part in cut_off.split(":"))
    return (timedelta(days=1) - timedelta(hours=hours, minutes=minutes)) % timedelta(days=1)


def settlement_day(moment: datetime, cut_off: str, time_zone: str) -> date:
    """The issuer's business day of ``moment``: the local date, or the next one from the cut-off on
    (cut-off 17:00: 16:59:59 is today, 17:00:00 tomorrow; cut-off 00:00: the calendar date)."""
    return (moment.astimezone(zone(time_zone)) + _shift(cut_off)).date()


def day_closes_at(day: date, cut_off: str, time_zone: str) -> datetime:
    """The moment business day ``day`` closes (the first moment of the next one)."""
    local_midnight = datetime.combine(day, time(0), tzinfo=zone(time_zone))
    return local_midnight + timedelta(days=1) - _shift(cut_off)


def last_closed_day(now: datetime, cut_off: str, time_zone: str) -> date:
    """The latest business day that has closed by ``now``."""
    return settlement_day(now, cut_off, time_zone) - timedelta(days=1)


def shard_of(reference: str, shards: int = SHARDS) -> int:
    return int.from_bytes(hashlib.sha256(reference.encode()).digest()[:4], "big") % shards
