"""Factories for the pure rules' inputs: a program, an account and a purchase with sensible defaults.

Each factory takes keyword overrides, so a test states only the facts it is about.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rewards.domain import Account, AccountStatus, CardholderPreferences, HouseholdRole, RedemptionFrequency
from rewards.models.config import Program
from rewards.rules.conversion import Purchase


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


def tiers(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    """``tiers(("0", "0.01"), ("500", "0.012"))`` -> conversion tiers (fromAmount, costPerPoint)."""
    return [{"fromAmount": start, "costPerPoint": cost} for start, cost in pairs]


def program(**overrides: Any) -> Program:
    """A USD program at $0.01 a point, NATURAL rounding, no filters, no partial redemption."""
    document: dict[str, Any] = {
        "programId": "TEST",
        "programName": "Test Rewards",
        "currencyCode": "USD",
        "baseConversion": {"name": "Base", "tiers": tiers(("0", "0.01"))},
    }
    document.update(overrides)
    return Program.model_validate(document)


def preferences(frequency: RedemptionFrequency = RedemptionFrequency.MULT, **overrides: Any) -> CardholderPreferences:
    return CardholderPreferences(redemptionFrequency=frequency, **overrides)


def account(
    *,
    frequency: RedemptionFrequency = RedemptionFrequency.MULT,
    status: AccountStatus = AccountStatus.GOOD_STANDING,
    household: str | None = None,
    role: HouseholdRole | None = None,
    bank_product: str | None = None,
    **preference_overrides: Any,
) -> Account:
    """A standalone account in good standing with PWR on for every purchase (MULT)."""
    return Account(
        accountId="RANACTEST0001",
        userId="tester",
        programId="TEST",
        status=status,
        poolId=household or "RANACTEST0001",
        householdId=household,
        householdRole=role,
        lastFour="1234",
        bankProductCode=bank_product,
        preferences=preferences(frequency, **preference_overrides),
    )


def purchase(amount: str | Decimal = "100.00", **overrides: Any) -> Purchase:
    """An approved domestic USD purchase at a grocery store (MCC 5411)."""
    facts: dict[str, Any] = {
        "amount": D(amount) if isinstance(amount, str) else amount,
        "currency": "USD",
        "approved": True,
        "mcc": "5411",
        "cardAcceptorId": "SHOP0001",
        "merchantCountry": "USA",
        "issuerCountry": "USA",
        "bankProductCode": None,
    }
    facts.update(overrides)
    return Purchase(**facts)


# The fields a POST /authorizations body may not leave out (Mastercard's required fields).
REQUIRED_AUTHORIZATION_FIELDS = [
    "accountId",
    "accountIdType",
    "acquiringInstitutionIdCode",
    "cardAcceptorIdCode",
    "cardAcceptorNameAndLocation",
    "cardholderBillingAmount",
    "cardholderBillingCurrencyCode",
    "issuerCountryCode",
    "merchantCategoryCode",
    "processingCode",
    "transactionDateAndTime",
    "externalId",
    "queueTransaction",
]


def authorization_fields(**overrides: Any) -> dict[str, Any]:
    """A valid POST /authorizations body (as JSON would carry it)."""
    body: dict[str, Any] = {
        "accountId": "RANACTEST0001",
        "accountIdType": "RANAC",
        "acquiringInstitutionIdCode": "123456",
        "cardAcceptorIdCode": "SHOP0001",
        "cardAcceptorNameAndLocation": "Corner Grocer Springfield US",
        "cardholderBillingAmount": "100.00",
        "cardholderBillingCurrencyCode": "USD",
        "issuerCountryCode": "USA",
        "merchantCategoryCode": "5411",
        "processingCode": "PURCHASE",
        "transactionDateAndTime": "2024-05-01T10:15:00-05:00",
        "externalId": "EXT0001",
        "queueTransaction": "N",
    }
    body.update(overrides)
    return body
