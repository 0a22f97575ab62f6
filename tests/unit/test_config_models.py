"""Configuration documents are refused when invalid, with a message naming the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from tools.config_loader import InvalidDocument, parse_document

from rewards.models.config import AccountDoc, ConfigurationDocument, ConversionRule, OverrideRule, Program
from tests.unit.builders import tiers

pytestmark = pytest.mark.unit

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"


def _program(**fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "programId": "TEST",
        "programName": "Test Rewards",
        "currencyCode": "USD",
        "baseConversion": {"tiers": tiers(("0", "0.01"))},
    }
    document.update(fields)
    return document


def _document(**parts: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "programs": [_program()],
        "clients": [{"clientId": "issuer", "name": "Issuer", "programIds": ["TEST"]}],
        "households": [{"householdId": "HH1", "programId": "TEST", "openingBalance": 100}],
        "users": [
            {
                "userId": "u1",
                "accounts": [
                    {"accountId": "ACC1", "cardNumber": "5555555555554444", "programId": "TEST", "openingBalance": 5},
                    {
                        "accountId": "ACC2",
                        "cardNumber": "5105105105105100",
                        "programId": "TEST",
                        "householdId": "HH1",
                        "householdRole": "REDEEMER",
                    },
                ],
            }
        ],
    }
    document.update(parts)
    return document


def _locations(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in problem["loc"]) for problem in error.errors()]


def test_demo_configuration_is_valid():
    document = parse_document(DEMO.read_text())
    assert "PWRDEMO" in {p.programId for p in document.programs}


def test_minimal_document_is_valid():
    document = ConfigurationDocument.model_validate(_document())
    assert len(document.users[0].accounts) == 2


# -- include / exclude lists ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mcc", "merchantCountry"])
def test_inclusive_and_exclusive_list_together_is_refused_naming_the_field(kind):
    lists = {"include": ["5411"], "exclude": ["6011"]} if kind == "mcc" else {"include": ["USA"], "exclude": ["RUS"]}
    with pytest.raises(ValidationError) as caught:
        Program.model_validate(_program(filters={kind: lists}))
    assert _locations(caught.value) == [f"filters.{kind}"]
    assert "cannot be used together" in str(caught.value)


def test_loader_message_names_the_path_of_the_invalid_list():
    document = _document(programs=[_program(filters={"mcc": {"include": ["5411"], "exclude": ["6011"]}})])
    with pytest.raises(InvalidDocument) as caught:
        parse_document(yaml.safe_dump(document))
    assert "programs.0.filters.mcc" in str(caught.value)


@pytest.mark.parametrize("lists", [{"include": ["5411"]}, {"exclude": ["6011"]}, {}])
def test_one_kind_of_list_is_accepted(lists):
    mcc = Program.model_validate(_program(filters={"mcc": lists})).filters.mcc
    assert (mcc.include, mcc.exclude) == (lists.get("include", []), lists.get("exclude", []))


def test_min_purchase_must_be_below_max_purchase():
    with pytest.raises(ValidationError, match="minPurchaseAmount"):
        Program.model_validate(_program(filters={"minPurchaseAmount": "50", "maxPurchaseAmount": "50"}))


def test_negative_purchase_limit_is_refused():
    with pytest.raises(ValidationError) as caught:
        Program.model_validate(_program(filters={"minPurchaseAmount": "-1"}))
    assert _locations(caught.value) == ["filters.minPurchaseAmount"]


# -- tiers and overrides -------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_tiers",
    [
        tiers(("1", "0.01")),  # does not start at 0
        tiers(("0", "0.01"), ("500", "0.012"), ("100", "0.02")),  # not ascending
        tiers(("0", "0.01"), ("500", "0.012"), ("500", "0.02")),  # repeated start
        [],
    ],
)
def test_tiers_must_start_at_zero_and_ascend(bad_tiers):
    with pytest.raises(ValidationError):
        ConversionRule.model_validate({"tiers": bad_tiers})


@pytest.mark.parametrize("cost", ["0", "-0.01"])
def test_cost_per_point_must_be_positive(cost):
    with pytest.raises(ValidationError) as caught:
        ConversionRule.model_validate({"tiers": tiers(("0", cost))})
    assert _locations(caught.value) == ["tiers.0.costPerPoint"]


def test_tier_error_in_a_program_names_the_rule():
    with pytest.raises(ValidationError) as caught:
        Program.model_validate(_program(baseConversion={"tiers": tiers(("5", "0.01"))}))
    assert _locations(caught.value) == ["baseConversion"]
    assert "start at fromAmount 0" in str(caught.value)


@pytest.mark.parametrize("category", ["MERCHANT", "MCC", "ACCOUNT_RANGE", "BANK_PRODUCT"])
def test_override_needs_a_selector(category):
    with pytest.raises(ValidationError, match="needs at least one value"):
        OverrideRule.model_validate({"category": category, "tiers": tiers(("0", "0.01"))})


def test_cross_border_override_needs_no_selector():
    rule = OverrideRule.model_validate({"category": "CROSS_BORDER", "tiers": tiers(("0", "0.02"))})
    assert rule.category.value == "CROSS_BORDER"


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"fromBin": "555600", "toBin": "555500"}, "must not be above toBin"),
        ({"fromBin": "55550", "toBin": "555599"}, "fromBin"),
        ({"fromBin": "5555000000000000", "toBin": "5555999999999999"}, "fromBin"),  # never a card number
    ],
)
def test_account_range_is_of_ordered_six_digit_prefixes(bounds, message):
    with pytest.raises(ValidationError, match=message):
        OverrideRule.model_validate(
            {"category": "ACCOUNT_RANGE", "accountRanges": [bounds], "tiers": tiers(("0", "1"))}
        )


def test_override_mcc_must_be_four_digits():
    with pytest.raises(ValidationError):
        OverrideRule.model_validate({"category": "MCC", "mccs": ["541"], "tiers": tiers(("0", "0.01"))})


def test_unknown_merchant_group_in_an_override_is_refused():
    override = {"category": "MERCHANT", "merchantGroups": ["nowhere"], "tiers": tiers(("0", "0.01"))}
    with pytest.raises(ValidationError, match=r"unknown merchant group.*nowhere"):
        Program.model_validate(_program(overrides=[override]))


def test_unknown_merchant_group_in_the_merchant_filter_is_refused():
    with pytest.raises(ValidationError, match=r"unknown merchant group.*elsewhere"):
        Program.model_validate(_program(filters={"merchants": {"merchantGroups": ["elsewhere"]}}))


def test_known_merchant_group_is_accepted():
    override = {"category": "MERCHANT", "merchantGroups": ["grocers"], "tiers": tiers(("0", "0.01"))}
    program = Program.model_validate(_program(overrides=[override], merchantGroups={"grocers": ["G1"]}))
    assert program.in_merchant_groups("G1", ["grocers"])
    assert not program.in_merchant_groups("G2", ["grocers"])


def test_unknown_program_field_is_refused():
    with pytest.raises(ValidationError) as caught:
        Program.model_validate(_program(roundingMode="UP"))
    assert _locations(caught.value) == ["roundingMode"]


def test_unknown_rounding_method_is_refused():
    with pytest.raises(ValidationError) as caught:
        Program.model_validate(_program(roundingMethod="HALF_EVEN"))
    assert _locations(caught.value) == ["roundingMethod"]


def test_partial_redemption_needs_a_positive_increment():
    with pytest.raises(ValidationError, match="cashIncrement"):
        Program.model_validate(_program(partialRedemption={"enabled": True, "cashIncrement": "0"}))


# -- accounts and cross references ---------------------------------------------------------


def test_fixed_redemption_amount_must_be_positive():
    account = {"accountId": "A1", "cardNumber": "5555555555554444", "programId": "TEST", "openingBalance": 1}
    with pytest.raises(ValidationError) as caught:
        AccountDoc.model_validate({**account, "preferences": {"fixedAccountRedemptionAmount": "0"}})
    assert _locations(caught.value) == ["preferences.fixedAccountRedemptionAmount"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "needs openingBalance"),
        ({"householdId": "HH1", "householdRole": "REDEEMER", "openingBalance": 5}, "drop openingBalance"),
        ({"householdId": "HH1"}, "householdRole is required"),
    ],
)
def test_account_pool_rules(fields, message):
    account = {"accountId": "A1", "cardNumber": "5555555555554444", "programId": "TEST", **fields}
    with pytest.raises(ValidationError, match=message):
        AccountDoc.model_validate(account)


def test_card_number_must_be_12_to_19_digits():
    account = {"accountId": "A1", "programId": "TEST", "openingBalance": 1}
    for bad in ["12345678901", "12345678901234567890", "5555-4444-3333-2222"]:
        with pytest.raises(ValidationError):
            AccountDoc.model_validate({**account, "cardNumber": bad})


def test_client_with_unknown_program_is_refused():
    document = _document(clients=[{"clientId": "issuer", "name": "Issuer", "programIds": ["NOPE"]}])
    with pytest.raises(ValidationError, match="client issuer: unknown programId NOPE"):
        ConfigurationDocument.model_validate(document)


def test_account_with_unknown_program_is_refused():
    document = _document()
    document["users"][0]["accounts"][0]["programId"] = "NOPE"
    with pytest.raises(ValidationError, match="account ACC1: unknown programId NOPE"):
        ConfigurationDocument.model_validate(document)


def test_account_with_unknown_household_is_refused():
    document = _document()
    document["users"][0]["accounts"][1]["householdId"] = "HH-MISSING"
    with pytest.raises(ValidationError, match="unknown householdId HH-MISSING"):
        ConfigurationDocument.model_validate(document)


def test_household_in_another_program_is_refused():
    document = _document(programs=[_program(), _program(programId="OTHER")])
    document["households"][0]["programId"] = "OTHER"
    with pytest.raises(ValidationError, match="account ACC2: household is in another program"):
        ConfigurationDocument.model_validate(document)


def test_duplicate_account_is_refused_even_across_users():
    document = _document()
    duplicate = copy.deepcopy(document["users"][0])
    duplicate["userId"] = "u2"
    document["users"].append(duplicate)
    with pytest.raises(ValidationError, match="duplicate accountId ACC1"):
        ConfigurationDocument.model_validate(document)


def test_invalid_yaml_is_refused():
    with pytest.raises(InvalidDocument, match="not valid YAML"):
        parse_document("programs: [unclosed")


def test_a_program_holds_its_points_here_unless_it_names_an_external_point_bank():
    assert not Program.model_validate(_program()).pointBank.external
    bank = {"type": "EXTERNAL", "baseUrl": "https://bank.example/point-bank/v1", "clientId": "rewards-engine"}
    program = Program.model_validate(_program(pointBank=bank))
    assert program.pointBank.external and program.pointBank.attempts == 3 and program.pointBank.timeoutSeconds == 2
    assert Program.model_validate_json(program.model_dump_json()) == program  # as the config table keeps it


@pytest.mark.parametrize(
    ("bank", "field"),
    [
        ({"type": "EXTERNAL", "clientId": "engine"}, "baseUrl"),
        ({"type": "EXTERNAL", "baseUrl": "https://bank.example"}, "clientId"),
        ({"type": "INTERNAL", "baseUrl": "https://bank.example"}, "EXTERNAL"),
        ({"type": "EXTERNAL", "baseUrl": "ftp://bank.example", "clientId": "engine"}, "baseUrl"),
        ({"type": "EXTERNAL", "baseUrl": "https://b.example", "clientId": "e", "timeoutSeconds": 0}, "timeoutSeconds"),
        ({"type": "EXTERNAL", "baseUrl": "https://b.example", "clientId": "e", "attempts": 9}, "attempts"),
        ({"type": "REMOTE"}, "type"),
    ],
)
def test_an_incomplete_or_invalid_point_bank_setting_is_refused_naming_the_field(bank, field):
    with pytest.raises(ValidationError, match=field):
        Program.model_validate(_program(pointBank=bank))
