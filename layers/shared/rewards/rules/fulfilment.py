"""Fulfilment status of a redemption line, as the fulfilment partner reports it (Update Redemption
Status): O order placed, N order sent, B back order (with its date), S shipping date, I invoice
received. An order moves forward; a back order may come before shipping and clears by moving on.
The same status again is no change (a retried report), except that a back order's date may move."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from rewards.errors import Conflict, InvalidField


class FulfilmentStatus(StrEnum):
    BACK_ORDER = "B"
    INVOICE_RECEIVED = "I"
    ORDER_SENT = "N"
    ORDER_PLACED = "O"
    SHIPPING_DATE = "S"


_S = FulfilmentStatus
NEXT: dict[FulfilmentStatus | None, frozenset[FulfilmentStatus]] = {
    None: frozenset({_S.ORDER_PLACED, _S.ORDER_SENT, _S.BACK_ORDER, _S.SHIPPING_DATE}),
    _S.ORDER_PLACED: frozenset({_S.ORDER_SENT, _S.BACK_ORDER, _S.SHIPPING_DATE}),
    _S.BACK_ORDER: frozenset({_S.ORDER_PLACED, _S.ORDER_SENT, _S.SHIPPING_DATE}),
    _S.ORDER_SENT: frozenset({_S.BACK_ORDER, _S.SHIPPING_DATE}),
    _S.SHIPPING_DATE: frozenset({_S.INVOICE_RECEIVED}),
    _S.INVOICE_RECEIVED: frozenset(),
}


def check_report(status: FulfilmentStatus, back_order_date: date | None) -> None:
    """A back order needs its date; no other status carries one."""
    if status is _S.BACK_ORDER and back_order_date is None:
        raise InvalidField("backOrderDate", "backOrderDate is required when statusCode is B (back order)")
    if status is not _S.BACK_ORDER and back_order_date is not None:
        raise InvalidField("backOrderDate", "backOrderDate is only sent with statusCode B (back order)")


def is_unchanged(
    current: FulfilmentStatus | None,
    current_date: str | None,
    status: FulfilmentStatus,
    back_order_date: str | None,
) -> bool:
    """The report is the one already recorded (dates as ISO text)."""
    return current is status and current_date == back_order_date


def check_transition(current: FulfilmentStatus | None, status: FulfilmentStatus) -> None:
    """409 unless ``status`` may follow ``current`` (a back order may be re-dated)."""
    if current is status is _S.BACK_ORDER or status in NEXT[current]:
        return
    was = current.value if current else "none"
    raise Conflict(
        f"statusCode {status.value} cannot follow {was}.",
        reason_code="INVALID_STATUS_TRANSITION",
        details="statusCode",
    )
