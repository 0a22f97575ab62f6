"""Digital Redemptions rules (pure): eligibility, pricing of lines under the program rounding,
the whole-points rule, external-item checks and how much of a redemption may be credited."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rewards.domain import Account
from rewards.errors import AccountNotEligible, BusinessRefusal, Conflict, InsufficientPoints, InvalidField
from rewards.money import RoundingMethod, cash_for_points, nearest_cent, points_for_cash
from rewards.rules.eligibility import redeemer_refusal
from rewards.rules.reasons import Detail

EXTERNAL_SOURCE_CODES = ("EC", "ES")
SKU_REQUIRED = "Invalid request. ItemSkuCode must be provided"
BAD_SOURCE_CODE = "VALID Source Codes for Externally Hosted Item Redemption are 'EC','ES'"
SEED_REASON_CODE = "-1"  # the seed's ReasonCode for both external-item errors


@dataclass(frozen=True)
class Pricing:
    """What the rules need from the program and the catalog item of one line."""

    cost_per_point: Decimal
    rounding: RoundingMethod
    whole_points_only: bool


@dataclass(frozen=True)
class PricedLine:
    points: Decimal  # line total debited
    cash: Decimal  # line total cash value


def check_eligible(account: Account) -> None:
    """Seed 'Eligibility to Redeem' (the same predicate as PWR's global rules)."""
    refusal = redeemer_refusal(account)
    if refusal is Detail.ACCOUNT_STATUS:
        raise AccountNotEligible(
            f"The account status {account.status.value} does not allow redemptions.", details=account.status.value
        )
    if refusal is Detail.NOT_REDEEMER:
        raise AccountNotEligible(
            "The account is not a redeemer in its household.", reason_code="NOT_HOUSEHOLD_REDEEMER"
        )


def check_whole_points(points: Decimal, whole_points_only: bool, field: str) -> None:
    if whole_points_only and points != points.to_integral_value():
        raise InvalidField(
            field, f"{field} must be a whole number of points in this program", reason_code="WHOLE_POINTS_ONLY"
        )


def check_external_item(field_prefix: str, sku: str | None, source_code: str | None) -> None:
    """An item with additionalDetails: itemSkuCode required; sourceCode, when sent, EC or ES."""
    if not sku:
        raise InvalidField(f"{field_prefix}.additionalDetails.itemSkuCode", SKU_REQUIRED, reason_code=SEED_REASON_CODE)
    if source_code is not None and source_code not in EXTERNAL_SOURCE_CODES:
        raise InvalidField("sourceCode", BAD_SOURCE_CODE, reason_code=SEED_REASON_CODE)


def price_line(points: Decimal | None, cash: Decimal | None, pricing: Pricing, field_prefix: str) -> PricedLine:
    """The three seed scenarios: points only; cash only (points computed with the program rounding);
    both (the points must equal what the cash gives under that rounding)."""
    if cash is None:
        if points is None:
            raise InvalidField(f"{field_prefix}.pointsRedeemed", "pointsRedeemed or cashEquivalent is required")
        check_whole_points(points, pricing.whole_points_only, f"{field_prefix}.pointsRedeemed")
        return PricedLine(points, cash_for_points(points, pricing.cost_per_point))
    expected = points_for_cash(cash, pricing.cost_per_point, pricing.rounding)
    if points is None:
        if expected <= 0:
            raise InvalidField(
                f"{field_prefix}.cashEquivalent",
                "cashEquivalent is worth less than one point",
                reason_code="AMOUNT_TOO_SMALL",
            )
        return PricedLine(expected, cash)
    check_whole_points(points, pricing.whole_points_only, f"{field_prefix}.pointsRedeemed")
    if points != expected:
        raise InvalidField(
            f"{field_prefix}.pointsRedeemed",
            f"pointsRedeemed {points} does not match cashEquivalent {cash}: at {pricing.cost_per_point} per point"
            f" with {pricing.rounding.value} rounding it is {expected} points",
            reason_code="POINTS_CASH_MISMATCH",
        )
    return PricedLine(points, cash)


def price_cashback(points: Decimal, cashback: Decimal, pricing: Pricing, field_prefix: str) -> PricedLine:
    """CASHBACK: the points are authoritative; the cashback may not be worth more than they are."""
    check_whole_points(points, pricing.whole_points_only, f"{field_prefix}.pointsRedeemed")
    worth = nearest_cent(points * pricing.cost_per_point)
    if cashback > worth:
        raise InvalidField(
            f"{field_prefix}.cashbackAmount",
            f"cashbackAmount {cashback} exceeds the value of the points redeemed ({worth})",
            reason_code="CASHBACK_EXCEEDS_POINTS_VALUE",
        )
    return PricedLine(points, cashback)


def check_balance(total: Decimal, balance: Decimal) -> None:
    if total > balance:
        raise InsufficientPoints(
            f"The redemption needs {total} points; the balance is {balance}.", details=str(balance)
        )


def credit_points(requested: Decimal | None, redeemed: Decimal, credited: Decimal, whole_points_only: bool) -> Decimal:
    """Points one credit returns: all that remains when none is asked, never more than remains."""
    remaining = redeemed - credited
    if remaining <= 0:
        raise Conflict("This redemption has already been credited in full.", reason_code="ALREADY_CREDITED")
    if requested is None:
        return remaining
    check_whole_points(requested, whole_points_only, "pointsCredited")
    if requested > remaining:
        raise BusinessRefusal(
            f"pointsCredited {requested} exceeds the {remaining} points still creditable.",
            reason_code="CREDIT_EXCEEDS_REDEMPTION",
            details=str(remaining),
        )
    return requested
