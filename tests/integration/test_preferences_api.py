"""GET and PUT /redeemers/{id}/preferences (redemption_type=PWR) on moto."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tools.apigw import http_event
from tools.make_events import on_item

from tests.support import CLIENT_CONTEXT, body, invoke, load_event

CAROL = "RANACCAROL0001"
PWR = {"redemption_type": "PWR"}


def get_event(account_id: str = CAROL, query: dict[str, str] | None = None, **authorizer: str) -> dict[str, Any]:
    return on_item(
        "GET",
        "/redeemers/{id}/preferences",
        account_id,
        query=PWR if query is None else query,
        authorizer={**CLIENT_CONTEXT, **authorizer},
    )


def put_event(
    preferences: Any, account_id: str = CAROL, query: dict[str, str] | None = None, **authorizer: str
) -> dict[str, Any]:
    return on_item(
        "PUT",
        "/redeemers/{id}/preferences",
        account_id,
        query=PWR if query is None else query,
        body={"userIdType": "RANAC", "preferences": preferences},
        authorizer={**CLIENT_CONTEXT, **authorizer},
    )


def call(event: dict[str, Any]) -> dict[str, Any]:
    return invoke("PreferencesFunction", event)


def stored(account_id: str = CAROL) -> dict[str, Any]:
    response = call(get_event(account_id))
    assert response["statusCode"] == 200, response
    return dict(body(response))


def only_error(response: dict[str, Any]) -> dict[str, Any]:
    errors = body(response)["Errors"]["Error"]
    assert len(errors) == 1, errors
    return dict(errors[0])


def amount(value: Any) -> Decimal:
    return Decimal(str(value))


def test_get_returns_the_stored_preferences(demo):
    response = call(load_event("apigw-get-preferences"))
    assert response["statusCode"] == 200
    prefs = body(response)
    assert prefs["redemptionFrequency"] == "SNGL"
    assert prefs["receiveEmailSw"] is True and prefs["emailAddress"] == "alice@example.com"
    assert prefs["receiveSMSSw"] is False


def test_put_from_the_sample_event_merges_and_persists(demo):
    before = stored()
    response = call(load_event("apigw-put-preferences"))
    assert response["statusCode"] == 200, response
    returned = body(response)
    assert returned["redemptionFrequency"] == "SNGL"
    assert amount(returned["minAccountPurchaseThreshold"]) == Decimal(25)
    # fields the request did not send keep their values
    assert returned["receiveSMSSw"] is True and returned["smsNumber"] == before["smsNumber"] == "+15555550100"
    assert stored() == returned


def test_put_changes_only_the_fields_sent(demo):
    call(put_event({"fixedAccountRedemptionAmount": 50, "minAccountPurchaseThreshold": 30}))
    response = call(put_event({"redemptionFrequency": "MULT"}))
    assert response["statusCode"] == 200
    after = stored()
    assert after["redemptionFrequency"] == "MULT"
    assert amount(after["fixedAccountRedemptionAmount"]) == Decimal(50)
    assert amount(after["minAccountPurchaseThreshold"]) == Decimal(30)
    assert after["smsNumber"] == "+15555550100" and after["receiveSMSSw"] is True


@pytest.mark.parametrize("method", ["GET", "PUT"])
@pytest.mark.parametrize("query", [{}, {"redemption_type": "DR"}, {"redemption_type": "pwr"}])
def test_redemption_type_pwr_is_required(demo, method, query):
    event = get_event(query=query) if method == "GET" else put_event({"redemptionFrequency": "MULT"}, query=query)
    response = call(event)
    assert response["statusCode"] == 400
    error = only_error(response)
    assert error["Details"] == "redemption_type"
    assert error["ReasonCode"] == ("MISSING_REQUIRED_FIELD" if not query else "INVALID_FIELD")
    assert stored()["redemptionFrequency"] == "OFF"


@pytest.mark.parametrize(
    ("preferences", "field"),
    [
        ({"redemptionFrequency": "WEEKLY"}, "preferences.redemptionFrequency"),
        ({"redemptionFrequency": "off"}, "preferences.redemptionFrequency"),
        ({"receiveEmailSw": "sometimes"}, "preferences.receiveEmailSw"),
        ({"minAccountPurchaseThreshold": "ten"}, "preferences.minAccountPurchaseThreshold"),
        ({"minAccountPurchaseThreshold": -1}, "preferences.minAccountPurchaseThreshold"),
        ({"fixedAccountRedemptionAmount": 0}, "preferences.fixedAccountRedemptionAmount"),
        ({"fixedAccountRedemptionAmount": 12.345}, "preferences.fixedAccountRedemptionAmount"),
        ({"emailAddress": "not-an-email"}, "preferences.emailAddress"),
        ({"emailAddress": "carol@example"}, "preferences.emailAddress"),
        ({"emailAddress": "a" * 110 + "@example.com"}, "preferences.emailAddress"),
        ({"smsNumber": "555-0100"}, "preferences.smsNumber"),
        ({"smsNumber": "+1555"}, "preferences.smsNumber"),
        ({"smsNumber": "+0155555501000"}, "preferences.smsNumber"),
        ({"colour": "blue"}, "preferences.colour"),
        ({"minAccountPurchaseThreshold": "4.99"}, "preferences.minAccountPurchaseThreshold"),
        ({"receiveEmailSw": True}, "preferences.emailAddress"),
        ({"receiveSMSSw": True, "smsNumber": None}, "preferences.smsNumber"),
        ("OFF", "preferences"),
    ],
)
def test_invalid_preferences_are_refused_naming_the_field_and_nothing_changes(demo, preferences, field):
    before = stored()
    response = call(put_event(preferences))
    assert response["statusCode"] == 400, response
    error = only_error(response)
    assert error["Details"] == field
    assert error["Source"] == "pay-with-rewards-api"
    assert error["Recoverable"] is False
    assert stored() == before


def test_cardholder_minimum_equal_to_the_program_minimum_is_accepted(demo):
    response = call(put_event({"minAccountPurchaseThreshold": 5.00}))
    assert response["statusCode"] == 200
    assert amount(stored()["minAccountPurchaseThreshold"]) == Decimal(5)


def test_program_minimum_error_names_the_minimum(demo):
    error = only_error(call(put_event({"minAccountPurchaseThreshold": 4.99})))
    assert "5.00" in error["Description"]


@pytest.mark.parametrize(
    "preferences",
    [
        {"receiveEmailSw": True, "emailAddress": "carol.smith+pwr@mail.example.co.uk"},
        {"receiveSMSSw": True, "smsNumber": "447700900123"},
        {"receiveSMSSw": False, "smsNumber": "+15555550199"},
    ],
)
def test_valid_email_and_sms_formats_are_stored(demo, preferences):
    response = call(put_event(preferences))
    assert response["statusCode"] == 200, response
    after = stored()
    for name, value in preferences.items():
        assert after[name] == value


def test_turning_email_off_does_not_need_an_address(demo):
    response = call(put_event({"receiveEmailSw": False}))
    assert response["statusCode"] == 200


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_client_without_the_program_gets_not_found_and_changes_nothing(demo, method):
    event = (
        get_event(programIds="OTHERPROG")
        if method == "GET"
        else put_event({"redemptionFrequency": "MULT"}, programIds="OTHERPROG")
    )
    response = call(event)
    assert response["statusCode"] == 404
    assert only_error(response)["ReasonCode"] == "REDEEMER_NOT_FOUND"
    assert stored()["redemptionFrequency"] == "OFF"


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_unknown_redeemer_is_not_found(demo, method):
    event = (
        get_event("RANACNOBODY01") if method == "GET" else put_event({"redemptionFrequency": "MULT"}, "RANACNOBODY01")
    )
    response = call(event)
    assert response["statusCode"] == 404
    assert only_error(response)["ReasonCode"] == "REDEEMER_NOT_FOUND"


def test_turning_pwr_on_takes_effect_for_the_next_authorization(demo):
    assert call(put_event({"redemptionFrequency": "MULT"}))["statusCode"] == 200
    request = {**body({"body": load_event("apigw-post-authorization-sync")["body"]})}
    request.update(accountId=CAROL, accountIdType="RANAC", externalId="PREFSON01", cardholderBillingAmount="30.00")
    response = invoke(
        "AuthorizationsFunction", http_event("POST", "/authorizations", body=request, authorizer=CLIENT_CONTEXT)
    )
    assert body(response)[0]["responseReasonId"] == "60"
