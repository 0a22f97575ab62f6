"""GET /redeemers/{id} and POST /redeemers/search: the redeemer profile on moto."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tools.apigw import http_event

from tests.support import CLIENT_CONTEXT, body, invoke, load_event

ALICE_CARD = "5555555555554444"


def get_profile(account_id: str, query: dict[str, str] | None = None, **authorizer: str) -> dict[str, Any]:
    event = http_event(
        "GET",
        f"/redeemers/{account_id}",
        route_key="GET /redeemers/{id}",
        path_parameters={"id": account_id},
        query={"redemption_type": "PWR", "user_id_type": "RANAC"} if query is None else query,
        authorizer={**CLIENT_CONTEXT, **authorizer},
    )
    return invoke("RedeemersFunction", event)


def search(user_id: str, user_id_type: str, **authorizer: str) -> dict[str, Any]:
    event = http_event(
        "POST",
        "/redeemers/search",
        body={"userId": user_id, "userIdType": user_id_type, "redemptionType": "PWR"},
        authorizer={**CLIENT_CONTEXT, **authorizer},
    )
    return invoke("RedeemersFunction", event)


def ok(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200, response
    return dict(body(response))


def only_error(response: dict[str, Any]) -> dict[str, Any]:
    [error] = body(response)["Errors"]["Error"]
    return dict(error)


def assert_alice(profile: dict[str, Any]) -> None:
    assert profile["userId"] == "RANACALICE0001" and profile["userIdType"] == "RANAC"
    info = profile["accountInfo"]
    assert info["accountStatus"] == "1"  # GOOD_STANDING
    assert info["lastFourDigitsOfCard"] == "4444"
    assert info["programId"] == "PWRDEMO"
    assert info["minProgramPurchaseThreshold"] == "5.00" and info["maxProgramPurchaseThreshold"] == "5000.00"
    assert profile["householdInfo"] == {"pointBalance": "12000", "householdRole": "P"}
    assert profile["preferences"]["redemptionFrequency"] == "SNGL"
    assert profile["preferences"]["emailAddress"] == "alice@example.com"


def test_profile_by_ranac(demo):
    assert_alice(ok(invoke("RedeemersFunction", load_event("apigw-get-redeemer"))))


def test_search_by_card_number(demo):
    assert_alice(ok(invoke("RedeemersFunction", load_event("apigw-search-redeemer"))))


def test_search_by_bank_customer_number(demo):
    assert_alice(ok(search("BCN0001", "BCN")))


def test_profile_never_shows_the_card_number(demo):
    response = invoke("RedeemersFunction", load_event("apigw-search-redeemer"))
    assert ALICE_CARD not in response["body"]


def test_conversion_factors_list_base_and_overrides_with_tiers(demo):
    factors = {f["name"]: f for f in ok(get_profile("RANACALICE0001"))["conversionFactors"]}
    assert list(factors) == ["Base", "Grocery bonus", "Travel"]

    base = factors["Base"]
    assert base["type"] == "BASE" and base["currencyCode"] == "USD" and base["authRewardsServiceId"] == "PWR"
    first, second = base["conversionRuleTiers"]
    assert first == {"fromAmount": "0", "toAmount": "500", "multiplier": "100", "tierNumber": "1"}
    assert second["fromAmount"] == "500" and second["tierNumber"] == "2" and "toAmount" not in second
    assert Decimal(second["multiplier"]).quantize(Decimal("0.01")) == Decimal("83.33")  # $0.012 a point
    assert "overrideCategoryDetails" not in base

    travel = factors["Travel"]
    assert travel["type"] == "OVERRIDE"
    assert travel["overrideCategoryDetails"]["category"] == "Merchant Category Code"
    assert [a["value"] for a in travel["overrideCategoryDetails"]["attributes"]] == ["3000", "4511"]
    grocery = factors["Grocery bonus"]
    assert grocery["conversionRuleTiers"][0]["multiplier"] == "80"  # $0.0125 a point


@pytest.mark.parametrize(
    ("account_id", "status", "role"),
    [("RANACBOB00001", "1", "R"), ("RANACDAVE00001", "1", "N")],
)
def test_household_members_share_the_balance_with_their_own_role(demo, account_id, status, role):
    profile = ok(get_profile(account_id))
    assert profile["accountInfo"]["accountStatus"] == status
    assert profile["householdInfo"] == {"pointBalance": "12000", "householdRole": role}


def test_account_outside_a_household_has_its_own_balance_and_no_role(demo):
    profile = ok(get_profile("RANACCAROL0001"))
    assert profile["householdInfo"] == {"pointBalance": "7650"}
    assert profile["accountInfo"]["lastFourDigitsOfCard"] == "8210"
    assert profile["preferences"]["redemptionFrequency"] == "OFF"


def test_balance_reflects_a_redemption(demo):
    invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync"))
    assert ok(get_profile("RANACBOB00001"))["householdInfo"]["pointBalance"] == "2000"


@pytest.mark.parametrize(
    ("response", "field"),
    [
        (lambda: get_profile("RANACNOBODY01"), "id"),
        (lambda: search("4000000000000002", "BAN"), "userId"),
        (lambda: search("BCN9999", "BCN"), "userId"),
        (lambda: search("RANACNOBODY01", "RANAC"), "userId"),
        (lambda: get_profile("RANACALICE0001", programIds="OTHERPROG"), "id"),
        (lambda: search(ALICE_CARD, "BAN", programIds="OTHERPROG"), "userId"),
        (lambda: search("BCN0001", "BCN", programIds="OTHERPROG"), "userId"),
    ],
    ids=["ranac", "ban", "bcn", "search-ranac", "other-client-ranac", "other-client-ban", "other-client-bcn"],
)
def test_unknown_or_foreign_redeemer_is_404_in_the_envelope(demo, response, field):
    result = response()
    assert result["statusCode"] == 404
    error = only_error(result)
    assert set(error) == {"Source", "ReasonCode", "Description", "Recoverable", "Details"}
    assert error["Source"] == "pay-with-rewards-api"
    assert error["ReasonCode"] == "REDEEMER_NOT_FOUND"
    assert error["Recoverable"] is False
    assert error["Details"] == field
    assert error["Description"] == "No redeemer matches the given identifier."  # the same whether it exists or not


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"user_id_type": "RANAC"}, "redemption_type"),
        ({"redemption_type": "CASH"}, "redemption_type"),
        ({"redemption_type": "PWR", "user_id_type": "BAN"}, "user_id_type"),
    ],
)
def test_bad_profile_query_is_400_naming_the_parameter(demo, query, field):
    response = get_profile("RANACALICE0001", query=query)
    assert response["statusCode"] == 400
    assert only_error(response)["Details"] == field
