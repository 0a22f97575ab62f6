"""Properties of Digital Redemptions: for any sequence of redemptions and credits the balance is
opening - debits + credits and never negative, and no line is ever credited beyond what it debited.

The sequence test drives the real use cases against the in-memory ledger, which refuses a commit
for the reasons the DynamoDB ledger does (tests/integration covers the same on moto)."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewards.errors import BusinessRefusal, Conflict, InvalidField
from rewards.money import RoundingMethod
from rewards.rules.redemption_rules import Pricing, credit_points, price_line
from tests.unit.memory_world import demo_world

pytestmark = pytest.mark.unit

POOL = "RANACCAROL0001"
OPENING = Decimal(7650)

points = st.one_of(
    st.integers(min_value=1, max_value=4000).map(Decimal),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(3000), places=2, allow_nan=False, allow_infinity=False),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("redeem"), points),
        st.tuples(st.just("credit"), st.integers(min_value=0, max_value=5), st.none() | points),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(
    redeemed=points,
    requests=st.lists(st.none() | points, max_size=8),
)
def test_credits_never_exceed_the_redemption(redeemed, requests):
    credited = Decimal(0)
    for requested in requests:
        with contextlib.suppress(Conflict, BusinessRefusal):
            credited += credit_points(requested, redeemed, credited, False)
        assert Decimal(0) <= credited <= redeemed


@settings(max_examples=300, deadline=None)
@given(
    cash=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10_000), places=2),
    cpp=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(5), places=4),
    method=st.sampled_from(list(RoundingMethod)),
)
def test_cash_only_points_are_whole_and_within_one_point_of_the_exact_value(cash, cpp, method):
    try:
        line = price_line(None, cash, Pricing(cpp, method, False), "items[0]")
    except InvalidField:
        assert method is not RoundingMethod.UP  # only a value under one point rounds to nothing
        return
    exact = cash / cpp
    assert line.points == line.points.to_integral_value()
    assert abs(line.points - exact) < 1
    assert price_line(line.points, cash, Pricing(cpp, method, False), "items[0]").points == line.points


@settings(max_examples=200, deadline=None)
@given(steps=operations)
def test_balance_is_opening_minus_debits_plus_credits_and_never_negative(steps):
    from rewards.domain import Caller, ClientRole
    from rewards.errors import InsufficientPoints
    from rewards.models.dr import REDEMPTION_REQUEST, CreditRequest, MerchandiseRedemption

    world = demo_world()
    store = world.ledger
    service = world.redemptions()
    caller = Caller("demo-merchant", frozenset({"PWRDEMO"}), ClientRole.MERCHANT)
    debits = credits = Decimal(0)
    lines: list[int] = []
    for step in steps:
        if step[0] == "redeem":
            request = REDEMPTION_REQUEST.validate_python(
                {
                    "redemptionType": "MERCHANDISE",
                    "userId": POOL,
                    "userIdType": "RANAC",
                    "items": [
                        {"paymentOption": "POINTS_ONLY", "pointsRedeemed": step[1], "redemptionMatrixItemId": "41275"}
                    ],
                }
            )
            assert isinstance(request, MerchandiseRedemption)
            try:
                result = service.redeem(caller, request)
            except InsufficientPoints:
                assert OPENING - debits + credits < step[1]
            else:
                debits += step[1]
                lines.extend(item.redemptionId for item in result.items or [])
        elif lines:
            line_id = lines[step[1] % len(lines)]
            try:
                credited = service.credit(caller, line_id, CreditRequest(pointsCredited=step[2]))
            except (Conflict, BusinessRefusal):
                pass
            else:
                credits += credited.pointsCredited
        pool = store.pool(POOL)
        assert pool is not None
        assert pool.balance == OPENING - debits + credits
        assert pool.balance >= 0
    for line_id in lines:
        line = store.redemption_line(line_id)
        assert line is not None
        assert 0 <= line.credited <= line.points
        assert line.creditable == line.points - line.credited
