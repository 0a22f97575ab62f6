"""PWR API models: Mastercard field names, lengths, amount pattern, dates with offsets, enums."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from rewards.models.pwr import (
    Authorization,
    AuthorizationPostResponse,
    AuthorizationRequest,
    Preferences,
    ReprocessRequest,
    SearchProfileRequest,
    SetPreferencesRequest,
)
from tests.unit.builders import REQUIRED_AUTHORIZATION_FIELDS, authorization_fields

pytestmark = pytest.mark.unit


def _refused_fields(body: dict[str, object]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        AuthorizationRequest.model_validate(body)
    return {".".join(str(part) for part in problem["loc"]) for problem in caught.value.errors()}


def test_valid_request_parses():
    request = AuthorizationRequest.model_validate(authorization_fields())
    assert request.billing_amount == Decimal("100.00")
    assert request.approved
    assert request.transactionDateAndTime.utcoffset() is not None


@pytest.mark.parametrize("field", REQUIRED_AUTHORIZATION_FIELDS)
def test_required_field_missing_is_refused_by_name(field):
    body = authorization_fields()
    del body[field]
    assert _refused_fields(body) == {field}


def test_unknown_field_is_refused():
    assert _refused_fields(authorization_fields(surprise="x")) == {"surprise"}


@pytest.mark.parametrize(
    ("field", "longest"),
    [
        ("accountId", 30),
        ("cardAcceptorIdCode", 15),
        ("cardAcceptorNameAndLocation", 40),
        ("externalId", 15),
        ("acquiringInstitutionIdCode", 6),
        ("accountNumber", 19),
        ("primaryAccountNumber", 19),
        ("authorizationIdResponse", 6),
        ("transactionCategoryCode", 250),
        ("pointOfSalePostalCode", 10),
    ],
)
def test_max_lengths(field, longest):
    AuthorizationRequest.model_validate(authorization_fields(**{field: "1" * longest}))
    assert _refused_fields(authorization_fields(**{field: "1" * (longest + 1)})) == {field}


@pytest.mark.parametrize("field", ["accountId", "cardAcceptorIdCode", "cardAcceptorNameAndLocation", "externalId"])
def test_empty_required_strings_are_refused(field):
    assert _refused_fields(authorization_fields(**{field: ""})) == {field}


@pytest.mark.parametrize("amount", ["0", "100", "100.5", "100.00", "999999999.99"])
def test_amount_pattern_accepts_digits_with_up_to_two_decimals(amount):
    request = AuthorizationRequest.model_validate(authorization_fields(cardholderBillingAmount=amount))
    assert request.billing_amount == Decimal(amount)


@pytest.mark.parametrize(
    "amount",
    ["-1.00", "abc", "1e3", "1,000.00", "1234567890", "1.234", ".50", "100.", "", " 100.00", "NaN", "Infinity"],
)
@pytest.mark.parametrize("field", ["cardholderBillingAmount", "transactionAmount", "issuerSettlementAmount"])
def test_amount_pattern_refuses_negative_non_numeric_and_too_long(field, amount):
    assert _refused_fields(authorization_fields(**{field: amount})) == {field}


def test_amount_must_be_a_string_not_a_json_number():
    assert _refused_fields(authorization_fields(cardholderBillingAmount=100.0)) == {"cardholderBillingAmount"}


@pytest.mark.parametrize("moment", ["2024-05-01T10:15:00Z", "2024-05-01T10:15:00+05:30", "2024-05-01T10:15:00-05:00"])
def test_transaction_date_with_offset_is_accepted(moment):
    request = AuthorizationRequest.model_validate(authorization_fields(transactionDateAndTime=moment))
    assert request.transactionDateAndTime.tzinfo is not None


@pytest.mark.parametrize("moment", ["2024-05-01T10:15:00", "2024-05-01", "yesterday", "2024-13-01T10:15:00Z"])
def test_transaction_date_without_offset_or_invalid_is_refused(moment):
    assert _refused_fields(authorization_fields(transactionDateAndTime=moment)) == {"transactionDateAndTime"}


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("accountIdType", "BAN", "BCN"),
        ("processingCode", "PURCHASE_WITH_CASHBACK", "REFUND"),
        ("queueTransaction", "Y", "YES"),
        ("cardholderBillingCurrencyCode", "EUR", "eur"),
        ("issuerCountryCode", "CAN", "CA"),
        ("merchantCategoryCode", "0742", "742"),
        ("merchantCountry", "FRA", "FR"),
        ("responseCode", "05", "5"),
        ("externalId", "A-1_2.3:4", "has space"),
        ("acquiringInstitutionIdCode", "000123", "ABC"),
    ],
)
def test_enums_and_codes(field, good, bad):
    AuthorizationRequest.model_validate(authorization_fields(**{field: good}))
    assert _refused_fields(authorization_fields(**{field: bad})) == {field}


@pytest.mark.parametrize(("code", "approved"), [(None, True), ("00", True), ("05", False), ("N7", False)])
def test_approved_only_for_de039_00_or_absent(code, approved):
    assert AuthorizationRequest.model_validate(authorization_fields(responseCode=code)).approved is approved


# -- responses -----------------------------------------------------------------------------


def test_post_response_leaves_absent_fields_out():
    response = AuthorizationPostResponse(responseMessage="queued")
    assert json.loads(response.model_dump_json()) == {"responseMessage": "queued"}


def test_authorization_serializes_decimals_as_json_numbers_and_leaves_absent_fields_out():
    record = Authorization(
        id="A1",
        responseReasonId="60",
        responseReasonDesc="Redeemed",
        de006CardholderBillingAmount="100.00",
        pointsRedeemed="10000",
        cashBackAmount=Decimal("100"),
        totalPointsRequired=Decimal("10000"),
        pointConversionFactor=Decimal("1E+2"),
    )
    data = json.loads(record.model_dump_json())
    assert data["cashBackAmount"] == 100
    assert data["totalPointsRequired"] == 10000
    assert data["pointConversionFactor"] == 100
    assert data["pointsRedeemed"] == "10000"
    assert data["partiallyRedeemed"] is False
    assert "externalId" not in data and "reprocessId" not in data


def test_fractional_cash_back_is_a_json_number():
    record = Authorization(
        id="A1",
        responseReasonId="60",
        responseReasonDesc="Redeemed",
        de006CardholderBillingAmount="76.50",
        cashBackAmount=Decimal("76.50"),
    )
    assert json.loads(record.model_dump_json())["cashBackAmount"] == 76.5


# -- other PWR requests --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preferences", "field"),
    [
        ({"redemptionFrequency": "ALWAYS"}, "redemptionFrequency"),
        ({"fixedAccountRedemptionAmount": "0"}, "fixedAccountRedemptionAmount"),
        ({"minAccountPurchaseThreshold": "-1"}, "minAccountPurchaseThreshold"),
        ({"minAccountPurchaseThreshold": "1.234"}, "minAccountPurchaseThreshold"),
        ({"emailAddress": "not-an-email"}, "emailAddress"),
        ({"smsNumber": "12"}, "smsNumber"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_preferences_refused_by_field(preferences, field):
    with pytest.raises(ValidationError) as caught:
        SetPreferencesRequest.model_validate({"preferences": preferences})
    assert [problem["loc"] for problem in caught.value.errors()] == [("preferences", field)]


def test_preferences_accepts_mastercard_frequencies():
    for frequency in ["OFF", "SNGL", "MULT"]:
        assert Preferences.model_validate({"redemptionFrequency": frequency}).redemptionFrequency == frequency


def test_reprocess_request_needs_ranac_and_short_processed_by():
    ReprocessRequest.model_validate({"processedBy": "agent01", "accountId": "RANAC1", "accountIdType": "RANAC"})
    with pytest.raises(ValidationError):
        ReprocessRequest.model_validate({"processedBy": "agent01", "accountId": "RANAC1", "accountIdType": "BAN"})
    with pytest.raises(ValidationError):
        ReprocessRequest.model_validate({"processedBy": "x" * 11, "accountId": "RANAC1", "accountIdType": "RANAC"})


def test_search_request_user_id_types():
    assert SearchProfileRequest.model_validate({"userId": "u", "userIdType": "BCN"}).redemptionType == "PWR"
    with pytest.raises(ValidationError):
        SearchProfileRequest.model_validate({"userId": "u", "userIdType": "EMAIL"})
