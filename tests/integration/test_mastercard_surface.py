"""The Mastercard surface beyond the basics, on moto: RANCU search, the DR profile's includes,
CompositeConversionFactors, Account Range overrides, Update Redemption Status."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from tools.apigw import http_event
from tools.make_events import on_item

from tests.integration.dr_support import MERCHANT, error, redeem, seed
from tests.support import CLIENT_CONTEXT, DEMO_CONFIG, body, invoke, ledger_of, load_config, load_event, set_body

CAROL = "RANACCAROL0001"  # card 5200828282828210, PWR off, 7,650 points
PREMIUM_RANGE = {
    "name": "Premium cards",
    "category": "ACCOUNT_RANGE",
    "accountRanges": [{"fromBin": "520000", "toBin": "520099"}],
    "tiers": [{"fromAmount": "0", "costPerPoint": "0.02"}],
}


def demo_with(**changes: Any) -> str:
    """config/demo.yaml with the PWRDEMO program's overrides extended and users' fields changed."""
    document = yaml.safe_load(DEMO_CONFIG.read_text())
    [program] = [p for p in document["programs"] if p["programId"] == "PWRDEMO"]
    program["overrides"] += changes.get("overrides", [])
    for user in document["users"]:
        user.update(changes.get("users", {}).get(user["userId"], {}))
    return yaml.safe_dump(document)


def profile(account_id: str, **query: str) -> dict[str, Any]:
    event = on_item(
        "GET", "/redeemers/{id}", account_id, query={"redemption_type": "PWR", **query}, authorizer=CLIENT_CONTEXT
    )
    return invoke("RedeemersFunction", event)


def search(user_id: str, user_id_type: str, caller: dict[str, str] = CLIENT_CONTEXT) -> dict[str, Any]:
    event = http_event(
        "POST",
        "/redeemers/search",
        body={"userId": user_id, "userIdType": user_id_type, "redemptionType": "PWR"},
        authorizer=caller,
    )
    return invoke("RedeemersFunction", event)


# -- RANCU ------------------------------------------------------------------------------------
def test_search_by_random_customer_id_finds_the_customers_account(stack):
    load_config(stack, text=demo_with(users={"carol": {"randomCustomerId": "RANCUCAROL001"}}))
    found = search("RANCUCAROL001", "RANCU")
    assert found["statusCode"] == 200, found
    assert body(found)["userId"] == CAROL
    unknown = search("RANCUNOBODY01", "RANCU")
    assert unknown["statusCode"] == 404
    foreign = search("RANCUCAROL001", "RANCU", {"clientId": "x", "programIds": "DRTRAVEL", "role": "ISSUER"})
    assert foreign["statusCode"] == 404  # the customer's programs are not the caller's


def test_a_random_customer_id_is_not_a_bank_customer_number(stack):
    load_config(stack, text=demo_with(users={"carol": {"randomCustomerId": "RANCUCAROL001"}}))
    assert search("RANCUCAROL001", "BCN")["statusCode"] == 404
    assert search("BCN0001", "RANCU")["statusCode"] == 404  # Alice's bank customer number


# -- includes on the Digital Redemptions profile ---------------------------------------------------
def test_dr_profile_answers_preferences_only_when_included(demo):
    plain = body(profile("RANACALICE0001", redemption_type="DR"))
    assert "preferences" not in plain and plain["pointsName"]
    included = body(profile("RANACALICE0001", redemption_type="DR", includes="preferences"))
    assert included["preferences"]["redemptionFrequency"] == "SNGL"
    refused = profile("RANACALICE0001", redemption_type="DR", includes="accounts")
    assert refused["statusCode"] == 400 and error(refused)["Details"] == "includes"


# -- CompositeConversionFactors and Account Range ------------------------------------------------
def test_profile_lists_every_rule_in_composite_form(stack):
    load_config(stack, text=demo_with(overrides=[PREMIUM_RANGE]))
    answer = body(profile(CAROL))
    categories = [f["overrideCategoryDetails"]["category"] for f in answer["conversionFactors"] if f["type"] != "BASE"]
    assert categories == ["Merchant Group", "Merchant Category Code", "Account Range"]
    composite = answer["CompositeConversionFactors"]
    assert composite[0]["type"] == "BASE" and "overrideCategoryDetails" not in composite[0]
    details = [(f["name"], f["overrideCategoryDetails"]) for f in composite[1:]]
    assert ("Grocery bonus", {"merchantGroupName": "grocers", "merchantGroupValue": "grocers"}) in details
    assert ("Travel", {"merchantCategoryName": "Travel", "merchantCategoryValue": "3000"}) in details
    assert ("Travel", {"merchantCategoryName": "Travel", "merchantCategoryValue": "4511"}) in details
    assert ("Premium cards", {"cardHolderNumFrom": "520000", "cardHolderNumTo": "520099"}) in details
    [premium] = [f for f in composite if f["name"] == "Premium cards"]
    assert premium["conversionRuleTiers"] == [{"fromAmount": "0", "multiplier": "50", "tierNumber": "1"}]


def carol_purchase(mcc: str, external_id: str) -> dict[str, Any]:
    event = load_event("apigw-post-authorization-sync")
    purchase = json.loads(event["body"])
    purchase.update(
        accountId=CAROL, accountIdType="RANAC", merchantCategoryCode=mcc, merchantCountry="USA", externalId=external_id
    )
    [result] = body(invoke("AuthorizationsFunction", set_body(event, json.dumps(purchase))))
    [stored] = listed_authorizations(result["id"])
    return stored


def listed_authorizations(authorization_id: str) -> list[dict[str, Any]]:
    event = http_event(
        "GET",
        "/authorizations",
        query={
            "user_id": CAROL,
            "from_date": "2026-01-01",
            "to_date": "2026-12-31",
            "include_reprocessed": "true",
        },
        authorizer=CLIENT_CONTEXT,
    )
    return [a for a in body(invoke("AuthorizationsFunction", event)) if a["id"] == authorization_id]


def test_account_range_override_prices_the_cards_in_it_below_mcc(stack):
    load_config(stack, text=demo_with(overrides=[PREMIUM_RANGE]))
    in_range = carol_purchase("5732", "RANGE0001")  # $100 at $0.02 a point
    assert (in_range["totalPointsRequired"], in_range["pointConversionFactor"]) == (5000, 50)
    travel = carol_purchase("4511", "RANGE0002")  # the MCC override is more specific: $0.015
    assert travel["totalPointsRequired"] == 6667


def test_account_range_leaves_other_cards_at_the_base_rate(stack):
    load_config(
        stack,
        text=demo_with(overrides=[{**PREMIUM_RANGE, "accountRanges": [{"fromBin": "510000", "toBin": "510999"}]}]),
    )
    outside = carol_purchase("5732", "RANGE0003")
    assert outside["totalPointsRequired"] == 10000


# -- Update Redemption Status ----------------------------------------------------------------------
def report(redemption_id: int | str, payload: dict[str, Any], caller: dict[str, str] = MERCHANT) -> dict[str, Any]:
    event = on_item("PUT", "/redemptions/{id}/status", str(redemption_id), body=json.dumps(payload), authorizer=caller)
    return invoke("RedemptionsFunction", event)


@pytest.fixture
def line(demo) -> int:
    answer = redeem(seed("cash-only"))
    assert answer["statusCode"] == 200, answer
    return int(body(answer)["items"][0]["redemptionId"])


def test_status_moves_forward_and_the_line_keeps_the_last_report(demo, line):
    placed = body(report(line, {"statusCode": "O"}))
    assert (placed["redemptionId"], placed["statusCode"]) == (line, "O") and "backOrderDate" not in placed
    back = body(report(line, {"redemptionId": line, "statusCode": "B", "backOrderDate": "2026-12-15"}))
    assert (back["statusCode"], back["backOrderDate"]) == ("B", "2026-12-15")
    for status in ("S", "I"):
        assert body(report(line, {"statusCode": status}))["statusCode"] == status
    stored = ledger_of(demo).redemption_line(line)
    assert stored.fulfilment.status == "I" and stored.points == 813  # the points are untouched


def test_the_same_report_again_answers_the_recorded_one(demo, line):
    first = body(report(line, {"statusCode": "N"}))
    again = report(line, {"statusCode": "N"})
    assert again["statusCode"] == 200 and body(again) == first  # same statusUpdatedAt: nothing written


def test_going_back_is_a_conflict_and_changes_nothing(demo, line):
    report(line, {"statusCode": "S"})
    refused = report(line, {"statusCode": "O"})
    assert refused["statusCode"] == 409
    assert error(refused)["ReasonCode"] == "INVALID_STATUS_TRANSITION"
    assert ledger_of(demo).redemption_line(line).fulfilment.status == "S"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"statusCode": "B"}, "backOrderDate"),
        ({"statusCode": "O", "backOrderDate": "2026-12-15"}, "backOrderDate"),
        ({"statusCode": "X"}, "statusCode"),
        ({"statusCode": "B", "backOrderDate": "15/12/2026"}, "backOrderDate"),
        ({"statusCode": "O", "redemptionId": 1}, "redemptionId"),
        ({}, "statusCode"),
    ],
)
def test_bad_reports_are_400_naming_the_field(demo, line, payload, field):
    refused = report(line, payload)
    assert refused["statusCode"] == 400, refused
    assert error(refused)["Details"] == field
    assert ledger_of(demo).redemption_line(line).fulfilment is None


def test_another_merchant_cannot_report_on_the_line(demo, line):
    other = {"clientId": "other-merchant", "programIds": "PWRDEMO", "role": "MERCHANT"}
    assert report(line, {"statusCode": "O"}, other)["statusCode"] == 404
    assert report(999_999_999, {"statusCode": "O"})["statusCode"] == 404
