"""The PWR decision pipeline (PRODUCT.md §3): global rules, program filters, conversion,
preferences, redemption. Pure: the caller supplies every fact and commits the result."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rewards.domain import Account, RedemptionFrequency
from rewards.models.config import Program
from rewards.money import ZERO, cash_for_points, floor_to_increment, points_for_cash
from rewards.rules.conversion import Conversion, Purchase, select_conversion
from rewards.rules.eligibility import redeemer_refusal
from rewards.rules.reasons import Detail, ReasonCode


@dataclass(frozen=True)
class Decision:
    reason: ReasonCode
    detail: Detail
    conversion: Conversion | None = None
    totalPointsRequired: Decimal | None = None
    pointsRedeemed: Decimal = ZERO
    cashBackAmount: Decimal = ZERO
    turnPwrOff: bool = False  # SNGL preference used up

    @property
    def redeemed(self) -> bool:
        return self.reason is ReasonCode.REDEEMED

    @property
    def partiallyRedeemed(self) -> bool:
        return self.redeemed and self.totalPointsRequired is not None and self.pointsRedeemed < self.totalPointsRequired


def decide(
    purchase: Purchase,
    account: Account,
    program: Program,
    pool_balance: Decimal,
    *,
    post_purchase: bool = False,
) -> Decision:
    """Decide what one authorization earns.

    ``post_purchase`` is a reprocess chosen by the cardholder: it redeems whatever the
    OFF/SNGL/MULT preference and the cardholder minimum say (the fixed amount still caps it).
    """
    refusal = _global_rules(purchase, account) or _program_filters(purchase, program)
    if refusal is not None:
        return Decision(reason=refusal[0], detail=refusal[1])

    conversion = select_conversion(program, purchase)
    prefs = account.preferences
    target_cash = purchase.amount
    if prefs.fixedAccountRedemptionAmount is not None:
        target_cash = min(prefs.fixedAccountRedemptionAmount, purchase.amount)
    required = points_for_cash(target_cash, conversion.costPerPoint, program.roundingMethod)
    base = Decision(
        reason=ReasonCode.ELIGIBLE, detail=Detail.PWR_OFF, conversion=conversion, totalPointsRequired=required
    )
    if required <= 0:  # rounds to no whole point: a credit must cost points
        return _with(base, ReasonCode.PROGRAM_RULE_NOT_MET, Detail.NO_AMOUNT)

    if not post_purchase:
        if prefs.redemptionFrequency is RedemptionFrequency.OFF:
            return base
        threshold = prefs.minAccountPurchaseThreshold
        if threshold is not None and not purchase.amount > threshold:
            return _with(base, ReasonCode.ELIGIBLE, Detail.BELOW_CARDHOLDER_THRESHOLD)

    balance_cash = cash_for_points(pool_balance, conversion.costPerPoint)
    if pool_balance <= 0:
        return _with(base, ReasonCode.INSUFFICIENT_POINTS, Detail.INSUFFICIENT_POINTS)
    if balance_cash < program.redemptionMinimumCash:
        return _with(base, ReasonCode.INSUFFICIENT_POINTS, Detail.BELOW_REDEMPTION_MINIMUM)

    turn_off = not post_purchase and prefs.redemptionFrequency is RedemptionFrequency.SNGL
    if pool_balance >= required:
        return Decision(
            reason=ReasonCode.REDEEMED,
            detail=Detail.REDEEMED_FULL,
            conversion=conversion,
            totalPointsRequired=required,
            pointsRedeemed=required,
            cashBackAmount=target_cash,
            turnPwrOff=turn_off,
        )
    partial = program.partialRedemption
    if not partial.enabled:
        return _with(base, ReasonCode.INSUFFICIENT_POINTS, Detail.INSUFFICIENT_POINTS)

    cash = floor_to_increment(min(balance_cash, target_cash), partial.cashIncrement)  # a step, up to the amount
    points = points_for_cash(cash, conversion.costPerPoint, program.roundingMethod)
    while cash > 0 and points > pool_balance:  # rounding up can overshoot a fractional balance
        cash -= partial.cashIncrement
        points = points_for_cash(cash, conversion.costPerPoint, program.roundingMethod)
    if cash <= 0 or points <= 0:
        return _with(base, ReasonCode.INSUFFICIENT_POINTS, Detail.INSUFFICIENT_POINTS)
    return Decision(
        reason=ReasonCode.REDEEMED,
        detail=Detail.REDEEMED_PARTIAL,
        conversion=conversion,
        totalPointsRequired=required,
        pointsRedeemed=points,
        cashBackAmount=cash,
        turnPwrOff=turn_off,
    )


def without_balance(decision: Decision) -> Decision:
    """The decision when the program's point bank could not tell the balance: a purchase that
    would redeem, or be refused for points, is ELIGIBLE (nothing redeemed, reprocessable later);
    the rules that do not depend on the balance keep their answer."""
    if decision.redeemed or decision.reason is ReasonCode.INSUFFICIENT_POINTS:
        return _with(decision, ReasonCode.ELIGIBLE, Detail.POINT_BANK_UNAVAILABLE)
    return decision


def _with(decision: Decision, reason: ReasonCode, detail: Detail) -> Decision:
    return Decision(
        reason=reason, detail=detail, conversion=decision.conversion, totalPointsRequired=decision.totalPointsRequired
    )


REFUSAL_CODES = {
    Detail.ACCOUNT_STATUS: ReasonCode.ACCOUNT_NOT_ELIGIBLE,
    Detail.NOT_REDEEMER: ReasonCode.NOT_HOUSEHOLD_REDEEMER,
}


def _global_rules(purchase: Purchase, account: Account) -> tuple[ReasonCode, Detail] | None:
    """Every program, in order, stop at the first failure."""
    if not purchase.approved:
        return ReasonCode.NOT_APPROVED, Detail.NOT_APPROVED
    refusal = redeemer_refusal(account)
    return (REFUSAL_CODES[refusal], refusal) if refusal is not None else None


def _program_filters(purchase: Purchase, program: Program) -> tuple[ReasonCode, Detail] | None:
    """Optional filters, combined with AND."""
    rule = ReasonCode.PROGRAM_RULE_NOT_MET
    filters = program.filters
    if purchase.amount <= 0:
        return rule, Detail.NO_AMOUNT
    if filters.minPurchaseAmount is not None and not purchase.amount > filters.minPurchaseAmount:
        return rule, Detail.BELOW_PROGRAM_MINIMUM
    if filters.maxPurchaseAmount is not None and purchase.amount > filters.maxPurchaseAmount:
        return rule, Detail.ABOVE_PROGRAM_MAXIMUM
    if not filters.mcc.allows(purchase.mcc):
        return rule, Detail.MCC_FILTER
    countries = filters.merchantCountry
    if countries.include or countries.exclude:
        if purchase.merchantCountry is None:
            if countries.include:
                return rule, Detail.COUNTRY_FILTER
        elif not countries.allows(purchase.merchantCountry):
            return rule, Detail.COUNTRY_FILTER
    merchants = filters.merchants
    if merchants is not None and not (
        purchase.cardAcceptorId in merchants.cardAcceptorIds
        or program.in_merchant_groups(purchase.cardAcceptorId, merchants.merchantGroups)
    ):
        return rule, Detail.MERCHANT_FILTER
    if purchase.currency != program.currencyCode:
        return rule, Detail.CURRENCY_MISMATCH
    return None
