"""Which cost per point applies: merchant > MCC > account range > bank product > cross-border > base, with tiers."""

from __future__ import annotations

from typing import Any

import pytest

from rewards.models.config import OverrideCategory
from rewards.rules.conversion import select_conversion
from tests.unit.builders import D, program, purchase, tiers

pytestmark = pytest.mark.unit

MERCHANT = {"name": "Grocers", "category": "MERCHANT", "merchantGroups": ["grocers"], "tiers": tiers(("0", "0.005"))}
ACCEPTOR = {"name": "Flagship", "category": "MERCHANT", "cardAcceptorIds": ["FLAGSHIP"], "tiers": tiers(("0", "0.004"))}
MCC = {"name": "Travel", "category": "MCC", "mccs": ["4511", "5411"], "tiers": tiers(("0", "0.015"))}
BANK = {"name": "World", "category": "BANK_PRODUCT", "bankProductCodes": ["MWE"], "tiers": tiers(("0", "0.02"))}
RANGE = {
    "name": "Premium cards",
    "category": "ACCOUNT_RANGE",
    "accountRanges": [{"fromBin": "555500", "toBin": "555599"}],
    "tiers": tiers(("0", "0.008")),
}
ABROAD = {"name": "Abroad", "category": "CROSS_BORDER", "currencyCode": "EUR", "tiers": tiers(("0", "0.025"))}
GROUPS = {"grocers": ["GROCER01"]}


def _program(*overrides: dict[str, Any], **fields: Any):
    return program(overrides=list(overrides), merchantGroups=GROUPS, **fields)


def _facts(**overrides: Any):
    """A purchase every override above matches: grocer, MCC 5411, bank product MWE, bought abroad."""
    facts: dict[str, Any] = {
        "cardAcceptorId": "GROCER01",
        "mcc": "5411",
        "bankProductCode": "MWE",
        "cardBin": "555555",
        "merchantCountry": "FRA",
        "issuerCountry": "USA",
    }
    facts.update(overrides)
    return purchase("100.00", **facts)


def test_base_rule_when_no_override_matches():
    conversion = select_conversion(_program(MERCHANT, MCC, BANK, ABROAD), purchase(cardAcceptorId="OTHER", mcc="5999"))
    assert conversion.category is None
    assert conversion.costPerPoint == D("0.01")
    assert conversion.currency == "USD"
    assert conversion.points_per_unit == 100


@pytest.mark.parametrize(
    ("overrides", "category", "cost"),
    [
        ((ABROAD, BANK, RANGE, MCC, MERCHANT), OverrideCategory.MERCHANT, "0.005"),  # list order does not matter
        ((ABROAD, BANK, RANGE, MCC), OverrideCategory.MCC, "0.015"),
        ((ABROAD, BANK, RANGE), OverrideCategory.ACCOUNT_RANGE, "0.008"),
        ((ABROAD, BANK), OverrideCategory.BANK_PRODUCT, "0.02"),
        ((ABROAD,), OverrideCategory.CROSS_BORDER, "0.025"),
    ],
)
def test_most_specific_matching_rule_wins(overrides, category, cost):
    conversion = select_conversion(_program(*overrides), _facts())
    assert conversion.category is category
    assert conversion.costPerPoint == D(cost)


def test_a_more_specific_rule_that_does_not_match_falls_through():
    chosen = _program(MERCHANT, MCC, BANK, ABROAD)
    assert select_conversion(chosen, _facts(cardAcceptorId="OTHER")).category is OverrideCategory.MCC
    assert (
        select_conversion(chosen, _facts(cardAcceptorId="OTHER", mcc="5999")).category is OverrideCategory.BANK_PRODUCT
    )
    domestic_plain = _facts(cardAcceptorId="OTHER", mcc="5999", bankProductCode=None)
    assert select_conversion(chosen, domestic_plain).category is OverrideCategory.CROSS_BORDER


def test_merchant_override_matches_by_card_acceptor_id():
    conversion = select_conversion(_program(MCC, ACCEPTOR), _facts(cardAcceptorId="FLAGSHIP"))
    assert (conversion.category, conversion.costPerPoint) == (OverrideCategory.MERCHANT, D("0.004"))


def test_merchant_group_not_containing_the_acceptor_does_not_match():
    conversion = select_conversion(_program(MERCHANT), _facts(cardAcceptorId="FLAGSHIP"))
    assert conversion.category is None


def test_first_matching_rule_of_a_category_wins():
    second = {**MCC, "name": "Groceries", "mccs": ["5411"], "tiers": tiers(("0", "0.011"))}
    assert select_conversion(_program(MCC, second), _facts()).costPerPoint == D("0.015")


@pytest.mark.parametrize(
    ("card_bin", "matches"), [("555500", True), ("555599", True), ("555499", False), ("555600", False), (None, False)]
)
def test_account_range_includes_both_bounds(card_bin, matches):
    conversion = select_conversion(_program(RANGE), purchase(cardBin=card_bin))
    assert (conversion.category is OverrideCategory.ACCOUNT_RANGE) is matches


def test_account_range_falls_through_to_bank_product():
    chosen = _program(RANGE, BANK)
    assert select_conversion(chosen, _facts(cardBin="222300")).category is OverrideCategory.BANK_PRODUCT


def test_bank_product_override_needs_the_account_bank_product():
    assert select_conversion(_program(BANK), _facts(bankProductCode=None, merchantCountry="USA")).category is None
    assert select_conversion(_program(BANK), _facts(bankProductCode="MCS", merchantCountry="USA")).category is None


@pytest.mark.parametrize(("merchant_country", "matches"), [("FRA", True), ("USA", False), (None, False)])
def test_cross_border_means_merchant_country_differs_from_issuer_country(merchant_country, matches):
    conversion = select_conversion(_program(ABROAD), purchase(merchantCountry=merchant_country, issuerCountry="USA"))
    assert (conversion.category is OverrideCategory.CROSS_BORDER) is matches


def test_override_currency_defaults_to_the_program_currency():
    assert select_conversion(_program(ABROAD), _facts()).currency == "EUR"
    assert select_conversion(_program(MCC), _facts()).currency == "USD"


@pytest.mark.parametrize(
    ("amount", "cost"),
    [("0.01", "0.02"), ("100.00", "0.02"), ("100.01", "0.015"), ("1000.00", "0.015"), ("1000.01", "0.01")],
)
def test_override_tiers_select_by_whole_amount_above_each_start(amount, cost):
    tiered = {**MCC, "tiers": tiers(("0", "0.02"), ("100", "0.015"), ("1000", "0.01"))}
    chosen = _program(tiered)
    assert select_conversion(chosen, purchase(amount, mcc="5411")).costPerPoint == D(cost)


def test_points_per_unit_is_the_inverse_of_cost_per_point():
    conversion = select_conversion(_program(), purchase("600.00"))
    assert conversion.costPerPoint == D("0.01")
    seed = program(baseConversion={"tiers": tiers(("0", "0.01"), ("500", "0.012"))})
    factor = select_conversion(seed, purchase("600.00")).points_per_unit
    assert factor * D("0.012") == pytest.approx(D(1))
    assert str(factor).startswith("83.333")
