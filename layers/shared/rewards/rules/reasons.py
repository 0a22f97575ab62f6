"""PWR outcome codes (responseReasonId) and the filter categories of GET /authorizations.

Mastercard publishes 59 (eligible) and 60 (redeemed) and lists 70 and 72 among the
ineligible codes; the rest of this table is this service's own (PRODUCT.md §3.6).
"""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    ELIGIBLE = "59"
    REDEEMED = "60"
    PROGRAM_RULE_NOT_MET = "70"
    NOT_APPROVED = "71"
    INSUFFICIENT_POINTS = "72"
    ACCOUNT_NOT_ELIGIBLE = "73"
    NOT_HOUSEHOLD_REDEEMER = "74"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]

    @property
    def category(self) -> str:
        """R = redeemed, E = eligible, I = everything else."""
        if self is ReasonCode.REDEEMED:
            return "R"
        if self is ReasonCode.ELIGIBLE:
            return "E"
        return "I"


_DESCRIPTIONS = {
    ReasonCode.ELIGIBLE: "Eligible for redemption, not redeemed",
    ReasonCode.REDEEMED: "Redeemed",
    ReasonCode.PROGRAM_RULE_NOT_MET: "Program rule or filter not met",
    ReasonCode.NOT_APPROVED: "Authorization not approved (DE039 is not 00)",
    ReasonCode.INSUFFICIENT_POINTS: "Insufficient points or below the program redemption minimum",
    ReasonCode.ACCOUNT_NOT_ELIGIBLE: "Account status not eligible to redeem",
    ReasonCode.NOT_HOUSEHOLD_REDEEMER: "Account is not a redeemer in its household",
}

FILTER_CATEGORIES = ("R", "E", "I")


class Detail(StrEnum):
    """Why a decision came out as it did: finer than the reason code, used for notifications and logs."""

    REDEEMED_FULL = "REDEEMED_FULL"
    REDEEMED_PARTIAL = "REDEEMED_PARTIAL"
    PWR_OFF = "PWR_OFF"
    BELOW_CARDHOLDER_THRESHOLD = "BELOW_CARDHOLDER_THRESHOLD"
    NOT_APPROVED = "NOT_APPROVED"
    ACCOUNT_STATUS = "ACCOUNT_STATUS"
    NOT_REDEEMER = "NOT_REDEEMER"
    NO_AMOUNT = "NO_AMOUNT"
    BELOW_PROGRAM_MINIMUM = "BELOW_PROGRAM_MINIMUM"
    ABOVE_PROGRAM_MAXIMUM = "ABOVE_PROGRAM_MAXIMUM"
    MCC_FILTER = "MCC_FILTER"
    COUNTRY_FILTER = "COUNTRY_FILTER"
    MERCHANT_FILTER = "MERCHANT_FILTER"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    BELOW_REDEMPTION_MINIMUM = "BELOW_REDEMPTION_MINIMUM"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    POINT_BANK_UNAVAILABLE = "POINT_BANK_UNAVAILABLE"
