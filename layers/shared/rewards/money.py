"""Decimal arithmetic for cash and points: the one place rounding is defined, each rounding a
named function here (no other module quantizes)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ONE = Decimal(1)
ZERO = Decimal(0)


class RoundingMethod(StrEnum):
    """How a computed number of points becomes whole points (seed examples: 10.2467, 5.5507)."""

    UP = "UP"  # 10.2467 -> 11, 5.5507 -> 6
    DOWN = "DOWN"  # 10.2467 -> 10, 5.5507 -> 5
    NATURAL = "NATURAL"  # first decimal < 5 down, >= 5 up: 10.2467 -> 10, 5.5507 -> 6


_ROUNDING = {
    RoundingMethod.UP: ROUND_CEILING,
    RoundingMethod.DOWN: ROUND_FLOOR,
    RoundingMethod.NATURAL: ROUND_HALF_UP,
}


def round_points(points: Decimal, method: RoundingMethod) -> Decimal:
    """Round a non-negative number of points to a whole number with the program's method."""
    return points.quantize(ONE, rounding=_ROUNDING[method])


def points_for_cash(cash: Decimal, cost_per_point: Decimal, method: RoundingMethod) -> Decimal:
    """Whole points needed to pay ``cash`` when one point is worth ``cost_per_point``."""
    return round_points(cash / cost_per_point, method)


def cash_for_points(points: Decimal, cost_per_point: Decimal) -> Decimal:
    """Cash value of ``points``, rounded down to the cent (never over-credit)."""
    return (points * cost_per_point).quantize(CENT, rounding=ROUND_FLOOR)


def nearest_cent(amount: Decimal) -> Decimal:
    """``amount`` to the cent, halves up (what a cashback's points are worth, at most)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def pro_rata_cash(cash: Decimal, points: Decimal, of_points: Decimal) -> Decimal:
    """The cash share of ``points`` out of ``of_points`` worth ``cash``: down to the cent, never more."""
    return (cash * points / of_points).quantize(CENT, rounding=ROUND_FLOOR)


def points_per_unit(cost_per_point: Decimal) -> Decimal:
    """Points one unit of currency buys (a conversion factor, a tier's multiplier), to 6 places."""
    return (ONE / cost_per_point).quantize(Decimal("0.000001")).normalize()


def money_text(amount: Decimal) -> str:
    """An amount for people: to the cent, with thousands separators ("1,234.50")."""
    return f"{amount.quantize(CENT):,f}"


def floor_to_increment(value: Decimal, increment: Decimal) -> Decimal:
    """Largest multiple of ``increment`` that is <= ``value`` (value >= 0)."""
    return (value / increment).to_integral_value(rounding=ROUND_FLOOR) * increment


def to_cents(amount: Decimal) -> int:
    """Integer minor units, for metrics (CloudWatch values are not decimals)."""
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def plain(value: Decimal) -> str:
    """Decimal as a plain string without exponent ("1E+4" -> "10000")."""
    return format(value, "f")
