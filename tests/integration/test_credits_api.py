"""POST /redemptions/{id}/credits (reversal) and GET /redemptions (history) on moto."""

from __future__ import annotations

import base64

import pytest

from tests.integration.dr_support import (
    CASHBACK_USER,
    ISSUER,
    MERCHANT,
    TRAVEL_USER,
    credit,
    error,
    events_of_type,
    history,
    pool_balance,
    redeem,
    seed,
)
from tests.support import body, invoke, load_event, pool_entries

OTHER_MERCHANT = {"clientId": "other-merchant", "programIds": "PWRDEMO", "role": "MERCHANT"}


@pytest.fixture
def redeemed(demo):
    """813 points redeemed by the merchant (seed cash-only sample: $10 at $0.0123, NATURAL)."""
    result = body(invoke("RedemptionsFunction", load_event("apigw-post-redemption-cash-only")))
    assert pool_balance(demo, CASHBACK_USER) == 50000 - 813
    return result["items"][0]["redemptionId"]


def test_two_partial_credits_then_a_third_is_refused(demo, redeemed):
    first = credit(redeemed, {"pointsCredited": 300, "description": "one item returned"})
    assert first["statusCode"] == 200, first
    assert body(first)["remainingCreditablePoints"] == 513
    assert body(first)["pointBalance"] == 50000 - 813 + 300
    second = body(credit(redeemed, {"pointsCredited": 513}))
    assert (second["remainingCreditablePoints"], second["totalPointsCredited"]) == (0, 813)
    assert second["pointBalance"] == 50000
    third = credit(redeemed, {"pointsCredited": 1})
    assert third["statusCode"] == 409
    assert error(third)["ReasonCode"] == "ALREADY_CREDITED"
    assert pool_balance(demo, CASHBACK_USER) == 50000
    entries = [e for e in pool_entries(demo, CASHBACK_USER) if e.source == "DR_CREDIT"]
    assert sorted(e.points for e in entries) == [300, 513]
    assert all(e.kind == "CREDIT" for e in entries)
    assert len(events_of_type(demo, "dr.redemption.credited")) == 2


def test_credit_without_points_returns_everything_remaining(demo, redeemed):
    credit(redeemed, {"pointsCredited": 13})
    result = body(credit(redeemed))
    assert result["pointsCredited"] == 800
    assert result["remainingCreditablePoints"] == 0
    assert pool_balance(demo, CASHBACK_USER) == 50000


def test_credit_above_what_remains_is_refused_and_changes_nothing(demo, redeemed):
    response = credit(redeemed, {"pointsCredited": 814})
    assert response["statusCode"] == 422
    assert error(response)["ReasonCode"] == "CREDIT_EXCEEDS_REDEMPTION"
    assert pool_balance(demo, CASHBACK_USER) == 50000 - 813


def test_credit_idempotency_key_replays_instead_of_crediting_twice(demo, redeemed):
    headers = {"Idempotency-Key": "return-1"}
    first = body(credit(redeemed, {"pointsCredited": 813}, headers=headers))
    assert body(credit(redeemed, {"pointsCredited": 813}, headers=headers)) == first
    assert pool_balance(demo, CASHBACK_USER) == 50000


def test_whole_points_program_refuses_fractional_credit(demo):
    result = body(invoke("RedemptionsFunction", load_event("apigw-post-redemption-travel")))
    response = credit(result["items"][0]["redemptionId"], {"pointsCredited": 0.5})
    assert response["statusCode"] == 400
    assert error(response)["Details"] == "pointsCredited"
    assert pool_balance(demo, TRAVEL_USER) == 482096


@pytest.mark.parametrize("caller", [ISSUER, OTHER_MERCHANT])
def test_tenant_isolation_hides_other_clients_redemptions(demo, caller):
    travel = body(invoke("RedemptionsFunction", load_event("apigw-post-redemption-travel")))
    cash = body(invoke("RedemptionsFunction", load_event("apigw-post-redemption-cash-only")))
    # the issuer does not reach DRTRAVEL; another merchant does not reach demo-merchant's redemptions
    target = travel if caller is ISSUER else cash
    response = credit(target["items"][0]["redemptionId"], caller=caller)
    assert response["statusCode"] == 404
    assert error(response)["ReasonCode"] == "REDEMPTION_NOT_FOUND"


def test_unknown_redemption_and_bad_body_are_refused(demo):
    assert credit(1234567890)["statusCode"] == 404
    assert credit("abc")["statusCode"] == 400
    response = credit(1234567890, {"pointsCredited": -1})
    assert response["statusCode"] == 400
    assert error(response)["Details"] == "pointsCredited"


# -- history ---------------------------------------------------------------------------------------
def test_history_lists_redemptions_and_credits_newest_first_across_pages(demo, redeemed):
    redeem(seed("points-only"))
    credit(redeemed, {"pointsCredited": 100})
    first = history(CASHBACK_USER)
    assert first["statusCode"] == 200, first
    entries = body(first)["redemptions"]
    assert [e["entryType"] for e in entries] == ["CREDIT", "REDEMPTION", "REDEMPTION"]
    assert [e["createdAt"] for e in entries] == sorted((e["createdAt"] for e in entries), reverse=True)
    assert entries[0]["redemptionId"] == redeemed and entries[0]["pointsCredited"] == 100
    assert entries[2]["totalPointsCredited"] == 100

    walked, token = [], None
    while True:
        page = body(history(CASHBACK_USER, limit="1", **({"next_token": token} if token else {})))
        walked.extend(page["redemptions"])
        token = page.get("nextToken")
        if not token:
            break
    assert [e["id"] for e in walked] == [e["id"] for e in entries]


def test_history_rejects_a_tampered_or_foreign_token(demo, redeemed):
    redeem(seed("points-only"))
    token = body(history(CASHBACK_USER, limit="1"))["nextToken"]
    check, _, position = base64.urlsafe_b64decode(token).decode().partition(":")

    def forge(text: str) -> str:
        return base64.urlsafe_b64encode(f"{check}:{text}".encode()).decode()

    moved = forge(position.replace("REDEMPTION#", "REDEMPTION#9"))
    for bad in (moved, "not-base64!", token[:-4]):
        response = history(CASHBACK_USER, next_token=bad)
        assert response["statusCode"] == 400, bad
        assert error(response)["Details"] == "next_token"
    alice_token = body(history(CASHBACK_USER, limit="1"))["nextToken"]  # another account's listing
    assert history("RANACALICE0001", next_token=alice_token, caller=ISSUER)["statusCode"] in {400, 404}


def test_merchant_history_shows_only_its_own_redemptions(demo, redeemed):
    other = {**OTHER_MERCHANT}
    assert redeem(seed("points-only"), caller=other)["statusCode"] == 200
    mine = body(history(CASHBACK_USER))["redemptions"]
    assert [e["redemptionId"] for e in mine] == [redeemed]
    theirs = body(history(CASHBACK_USER, caller=other))["redemptions"]
    assert len(theirs) == 1 and theirs[0]["clientId"] == "other-merchant"
    issuer = {"clientId": "demo-issuer", "programIds": "PWRDEMO", "role": "ISSUER"}
    assert len(body(history(CASHBACK_USER, caller=issuer))["redemptions"]) == 2


def test_history_validates_dates_and_tenant(demo):
    response = history(CASHBACK_USER, from_date="2026-02-01", to_date="2026-01-01")
    assert response["statusCode"] == 400
    assert error(response)["Details"] == "to_date"
    assert history(TRAVEL_USER, caller=ISSUER)["statusCode"] == 404
    assert body(history("RANACALICE0001", caller=MERCHANT)) == {"redemptions": []}


# -- balance at checkout ---------------------------------------------------------------------------
def test_merchant_gets_balance_cash_value_and_item_conversion(demo):
    response = invoke("RedeemersFunction", load_event("apigw-get-redeemer-dr"))
    assert response["statusCode"] == 200, response
    profile = body(response)
    assert profile["householdInfo"]["pointBalance"] == "12000"
    assert profile["cashEquivalent"] == 120  # 12,000 at the base $0.01
    assert (profile["roundingMethod"], profile["currencyCode"], profile["pointsName"]) == (
        "NATURAL",
        "USD",
        "Demo Points",
    )
    item = profile["redemptionItem"]
    assert (item["redemptionItemId"], item["costPerPoint"], item["cashEquivalent"]) == ("19068", 0.0123, 147.6)
    [factor] = profile["conversionFactors"]
    assert (factor["name"], factor["currencyCode"]) == ("Gift card", "USD")
    assert factor["conversionRuleTiers"][0]["multiplier"] == "81.300813"  # points per dollar
    assert item["pointsPerUnit"] == 81.300813
    assert "preferences" not in profile


def test_merchant_search_by_card_and_pwr_profile_unchanged(demo):
    search = body(invoke("RedeemersFunction", load_event("apigw-search-redeemer-dr")))
    assert search["userId"] == "RANACALICE0001" and search["cashEquivalent"] == 120
    assert "redemptionItem" not in search
    pwr = body(invoke("RedeemersFunction", load_event("apigw-get-redeemer")))
    assert "cashEquivalent" not in pwr and "roundingMethod" not in pwr
    assert "preferences" in pwr and pwr["conversionFactors"]


def test_checkout_balance_refuses_ineligible_and_unknown_item(demo):
    event = load_event("apigw-get-redeemer-dr")
    event["pathParameters"]["id"] = "RANACDAVE00001"
    event["rawPath"] = "/redeemers/RANACDAVE00001"
    assert body(invoke("RedeemersFunction", event))["Errors"]["Error"][0]["ReasonCode"] == "NOT_HOUSEHOLD_REDEEMER"
    event = load_event("apigw-get-redeemer-dr")
    event["queryStringParameters"]["redemption_item_id"] = "nope"
    response = invoke("RedeemersFunction", event)
    assert response["statusCode"] == 400
    assert error(response)["Details"] == "redemption_item_id"
