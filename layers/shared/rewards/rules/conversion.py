"""Conversion rules: which cost per point applies to a purchase (PRODUCT.md §3.3)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rewards.models.config import OVERRIDE_PRECEDENCE, ConversionRule, OverrideCategory, OverrideRule, Program
from rewards.money import points_per_unit


@dataclass(frozen=True)
class Purchase:
    """The facts of an authorization that the rules look at (DE006 amount, never DE004)."""

    amount: Decimal
    currency: str
    approved: bool
    mcc: str
    cardAcceptorId: str
    merchantCountry: str | None
    issuerCountry: str
    bankProductCode: str | None = None
    cardBin: str | None = None


@dataclass(frozen=True)
class Conversion:
    rule: ConversionRule
    costPerPoint: Decimal
    currency: str
    category: OverrideCategory | None  # None for the base rule

    @property
    def points_per_unit(self) -> Decimal:
        """``pointConversionFactor``: points per one unit of the billing currency."""
        return points_per_unit(self.costPerPoint)


def _matches(rule: OverrideRule, purchase: Purchase, program: Program) -> bool:
    match rule.category:
        case OverrideCategory.MERCHANT:
            return purchase.cardAcceptorId in rule.cardAcceptorIds or program.in_merchant_groups(
                purchase.cardAcceptorId, rule.merchantGroups
            )
        case OverrideCategory.MCC:
            return purchase.mcc in rule.mccs
        case OverrideCategory.ACCOUNT_RANGE:
            return purchase.cardBin is not None and any(r.contains(purchase.cardBin) for r in rule.accountRanges)
        case OverrideCategory.BANK_PRODUCT:
            return purchase.bankProductCode is not None and purchase.bankProductCode in rule.bankProductCodes
        case OverrideCategory.CROSS_BORDER:
            return purchase.merchantCountry is not None and purchase.merchantCountry != purchase.issuerCountry


def select_conversion(program: Program, purchase: Purchase) -> Conversion:
    """Most specific matching rule wins: merchant > MCC > account range > bank product > cross-border > base."""
    for category in OVERRIDE_PRECEDENCE:
        for rule in program.overrides:
            if rule.category is category and _matches(rule, purchase, program):
                return _conversion(rule, purchase, program, category)
    return _conversion(program.baseConversion, purchase, program, None)


def _conversion(
    rule: ConversionRule, purchase: Purchase, program: Program, category: OverrideCategory | None
) -> Conversion:
    return Conversion(
        rule=rule,
        costPerPoint=rule.cost_per_point(purchase.amount),
        currency=rule.currencyCode or program.currencyCode,
        category=category,
    )
