"""Update Redemption Status: which fulfilment reports may follow which (rules/fulfilment.py)."""

from __future__ import annotations

from datetime import date

import pytest

from rewards.errors import Conflict, InvalidField
from rewards.rules.fulfilment import NEXT, FulfilmentStatus, check_report, check_transition, is_unchanged

pytestmark = pytest.mark.unit

S = FulfilmentStatus
FORWARD = [S.ORDER_PLACED, S.ORDER_SENT, S.SHIPPING_DATE, S.INVOICE_RECEIVED]


def test_an_order_moves_forward_through_every_status():
    current = None
    for status in FORWARD:
        check_transition(current, status)
        current = status


@pytest.mark.parametrize(
    ("current", "status"),
    [
        (S.ORDER_SENT, S.ORDER_PLACED),
        (S.SHIPPING_DATE, S.ORDER_SENT),
        (S.SHIPPING_DATE, S.BACK_ORDER),
        (S.INVOICE_RECEIVED, S.SHIPPING_DATE),
        (S.INVOICE_RECEIVED, S.BACK_ORDER),
        (None, S.INVOICE_RECEIVED),
        (S.ORDER_PLACED, S.INVOICE_RECEIVED),
    ],
)
def test_going_back_or_skipping_to_the_invoice_is_a_conflict(current, status):
    with pytest.raises(Conflict) as refused:
        check_transition(current, status)
    assert refused.value.reason_code == "INVALID_STATUS_TRANSITION" and refused.value.details == "statusCode"


@pytest.mark.parametrize("before", [None, S.ORDER_PLACED, S.ORDER_SENT])
def test_a_back_order_comes_before_shipping_and_clears_by_moving_on(before):
    check_transition(before, S.BACK_ORDER)
    check_transition(S.BACK_ORDER, S.BACK_ORDER)  # re-dated
    for after in (S.ORDER_PLACED, S.ORDER_SENT, S.SHIPPING_DATE):
        check_transition(S.BACK_ORDER, after)


def test_the_invoice_is_final():
    assert NEXT[S.INVOICE_RECEIVED] == frozenset()


def test_a_back_order_needs_its_date_and_only_it_has_one():
    with pytest.raises(InvalidField) as missing:
        check_report(S.BACK_ORDER, None)
    assert missing.value.field == "backOrderDate"
    with pytest.raises(InvalidField):
        check_report(S.ORDER_SENT, date(2026, 12, 15))
    check_report(S.BACK_ORDER, date(2026, 12, 15))
    check_report(S.ORDER_SENT, None)


def test_the_same_report_is_unchanged_but_a_new_back_order_date_is_a_change():
    assert is_unchanged(S.ORDER_SENT, None, S.ORDER_SENT, None)
    assert is_unchanged(S.BACK_ORDER, "2026-12-15", S.BACK_ORDER, "2026-12-15")
    assert not is_unchanged(S.BACK_ORDER, "2026-12-15", S.BACK_ORDER, "2026-12-20")
    assert not is_unchanged(None, None, S.ORDER_PLACED, None)
