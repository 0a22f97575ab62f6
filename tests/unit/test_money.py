"""Decimal arithmetic and the rounding methods (seed examples 10.2467 and 5.5507)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rewards.money import (
    RoundingMethod,
    cash_for_points,
    floor_to_increment,
    nearest_cent,
    plain,
    points_for_cash,
    pro_rata_cash,
    round_points,
    to_cents,
)
from tests.unit.builders import D

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("method", "rounded_10_2467", "rounded_5_5507"),
    [(RoundingMethod.UP, 11, 6), (RoundingMethod.DOWN, 10, 5), (RoundingMethod.NATURAL, 10, 6)],
)
def test_seed_rounding_examples(method, rounded_10_2467, rounded_5_5507):
    assert round_points(D("10.2467"), method) == rounded_10_2467
    assert round_points(D("5.5507"), method) == rounded_5_5507


@pytest.mark.parametrize(
    ("points", "method", "expected"),
    [
        ("10", RoundingMethod.UP, 10),  # whole numbers stay put
        ("10", RoundingMethod.DOWN, 10),
        ("10.0001", RoundingMethod.UP, 11),
        ("10.9999", RoundingMethod.DOWN, 10),
        ("10.5", RoundingMethod.NATURAL, 11),  # half rounds up
        ("10.4999", RoundingMethod.NATURAL, 10),
        ("0.4", RoundingMethod.NATURAL, 0),
        ("0.0001", RoundingMethod.UP, 1),
    ],
)
def test_round_points_edges(points, method, expected):
    assert round_points(D(points), method) == expected


def test_rounded_points_are_whole_numbers():
    for method in RoundingMethod:
        result = round_points(D("123.456"), method)
        assert result == result.to_integral_value()


def test_points_for_cash_divides_by_cost_per_point_then_rounds():
    assert points_for_cash(D("100.00"), D("0.01"), RoundingMethod.NATURAL) == 10000
    assert points_for_cash(D("600.00"), D("0.012"), RoundingMethod.NATURAL) == 50000
    assert points_for_cash(D("1.00"), D("0.03"), RoundingMethod.UP) == 34
    assert points_for_cash(D("1.00"), D("0.03"), RoundingMethod.DOWN) == 33


def test_cash_for_points_rounds_down_to_the_cent():
    assert cash_for_points(D(7650), D("0.01")) == D("76.50")
    assert cash_for_points(D(7), D("0.0125")) == D("0.08")  # 0.0875 never credits 0.09
    assert cash_for_points(D(0), D("0.01")) == 0


@pytest.mark.parametrize(
    ("value", "increment", "expected"),
    [
        ("76.50", "10", "70"),
        ("70", "10", "70"),
        ("9.99", "10", "0"),
        ("15.50", "0.05", "15.50"),
        ("0.07", "0.05", "0.05"),
    ],
)
def test_floor_to_increment(value, increment, expected):
    assert floor_to_increment(D(value), D(increment)) == D(expected)


def test_to_cents_and_plain():
    assert to_cents(D("100.005")) == 10001
    assert to_cents(D("76.5")) == 7650
    assert plain(D("1E+4")) == "10000"
    assert plain(D("70.00")) == "70.00"


def test_rounding_methods_are_the_documented_three():
    assert {method.value for method in RoundingMethod} == {"UP", "DOWN", "NATURAL"}


@pytest.mark.parametrize(
    ("points", "cash"),
    [(1, "0.01"), (2, "0.02"), (3, "0.03"), (799, "9.98"), (800, "10.00")],
)
def test_a_credit_is_worth_its_share_of_the_line_down_to_the_cent(points, cash):
    # $10.00 for 800 points: 2 points are worth $0.025 (halves up would give 0.03), 3 points
    # $0.0375 (nearest 0.04), 799 points $9.9875: a credit never pays more than its share.
    assert pro_rata_cash(Decimal("10.00"), Decimal(points), Decimal(800)) == Decimal(cash)


@pytest.mark.parametrize(
    ("amount", "cents"), [("0.125", "0.13"), ("0.135", "0.14"), ("2.5049", "2.50"), ("0.005", "0.01")]
)
def test_an_amount_to_the_nearest_cent_rounds_halves_up(amount, cents):
    assert nearest_cent(Decimal(amount)) == Decimal(cents)  # halves to even would give 0.12 and 0.00
