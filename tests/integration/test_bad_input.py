"""Bad input on every PWR route: a 4xx in the Mastercard envelope naming the field, never a 500,
and nothing written (the ledger table and the authorization queue are unchanged)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tools.apigw import http_event
from tools.make_events import on_item

from rewards import runtime
from tests.support import (
    CLIENT_CONTEXT,
    Stack,
    body,
    invoke,
    ledger_items,
    load_config,
    load_event,
    provision_stack,
)
from tests.unit.builders import REQUIRED_AUTHORIZATION_FIELDS

FOREIGN_CLIENT = {**CLIENT_CONTEXT, "programIds": "OTHERPROG"}
ENVELOPE_FIELDS = {"Source", "ReasonCode", "Description", "Recoverable", "Details"}


def purchase(**changes: Any) -> dict[str, Any]:
    request = dict(json.loads(load_event("apigw-post-authorization-sync")["body"]))
    request.update(changes)
    return {k: v for k, v in request.items() if v is not DROP}


DROP = object()


def post_authorization(payload: Any, authorizer: dict[str, str] = CLIENT_CONTEXT) -> dict[str, Any]:
    return http_event("POST", "/authorizations", body=payload, authorizer=authorizer)


def get_authorizations(authorizer: dict[str, str] = CLIENT_CONTEXT, **changes: Any) -> dict[str, Any]:
    query = {
        "user_id": "RANACALICE0001",
        "from_date": "2026-11-01",
        "to_date": "2026-11-30",
        "include_reprocessed": "true",
    }
    query.update(changes)
    return http_event(
        "GET", "/authorizations", query={k: v for k, v in query.items() if v is not DROP}, authorizer=authorizer
    )


def reprocess(payload: Any, auth_id: str = "1234567890", authorizer: dict[str, str] = CLIENT_CONTEXT) -> dict[str, Any]:
    return on_item("POST", "/authorizations/{id}/reprocess", auth_id, body=payload, authorizer=authorizer)


def reprocess_body(**changes: Any) -> dict[str, Any]:
    request = {"processedBy": "APPUSER", "accountId": "RANACCAROL0001", "accountIdType": "RANAC", **changes}
    return {k: v for k, v in request.items() if v is not DROP}


def put_preferences(payload: Any, account_id: str = "RANACCAROL0001") -> dict[str, Any]:
    return on_item(
        "PUT",
        "/redeemers/{id}/preferences",
        account_id,
        query={"redemption_type": "PWR"},
        body=payload,
        authorizer=CLIENT_CONTEXT,
    )


def search(payload: Any, authorizer: dict[str, str] = CLIENT_CONTEXT) -> dict[str, Any]:
    return http_event("POST", "/redeemers/search", body=payload, authorizer=authorizer)


def get_redeemer(account_id: str) -> dict[str, Any]:
    return on_item("GET", "/redeemers/{id}", account_id, query={"redemption_type": "PWR"}, authorizer=CLIENT_CONTEXT)


Case = tuple[str, Callable[[], dict[str, Any]], int, str]


def one_bad_field(field: str, value: Any) -> Case:
    """POST /authorizations with ``field`` set to ``value`` (or dropped): a 400 naming that field."""
    return ("AuthorizationsFunction", lambda: post_authorization(purchase(**{field: value})), 400, field)


AUTHORIZATION_CASES: list[Case] = [
    ("AuthorizationsFunction", lambda: post_authorization('{"externalId": "X1", '), 400, "body"),
    ("AuthorizationsFunction", lambda: post_authorization(""), 400, "body"),
    ("AuthorizationsFunction", lambda: post_authorization([purchase()]), 400, "body"),
    ("AuthorizationsFunction", lambda: post_authorization("42"), 400, "body"),
    *[one_bad_field(name, DROP) for name in REQUIRED_AUTHORIZATION_FIELDS],
    # over-long fields (Mastercard lengths)
    one_bad_field("externalId", "E" * 16),
    one_bad_field("accountId", "1" * 31),
    one_bad_field("cardAcceptorNameAndLocation", "N" * 41),
    one_bad_field("cardAcceptorIdCode", "C" * 16),
    one_bad_field("acquiringInstitutionIdCode", "1234567"),
    one_bad_field("systemTraceAuditNumber", "1234567"),
    one_bad_field("reserved", "R" * 61),
    # wrong types and enums
    one_bad_field("cardholderBillingAmount", 100),
    one_bad_field("accountIdType", "PAN"),
    one_bad_field("queueTransaction", True),
    one_bad_field("processingCode", "REFUND"),
    one_bad_field("merchantCategoryCode", 5732),
    one_bad_field("merchantCategoryCode", "57321"),
    one_bad_field("cardholderBillingCurrencyCode", "usd"),
    one_bad_field("transactionDateAndTime", "yesterday"),
    one_bad_field("transactionDateAndTime", "2026-11-20T13:45:10"),
    one_bad_field("externalId", "EXT 0001"),
    one_bad_field("unknownField", "x"),
    one_bad_field("responseCode", "000"),
    # non-numeric, negative, over-precise amounts
    *[
        one_bad_field("cardholderBillingAmount", value)
        for value in ["abc", "-5.00", "1e3", "100.001", "", "12345678901.0", " 100.00", "NaN", "Infinity"]
    ],
    one_bad_field("transactionAmount", "-1"),
    # unknown account; account in a program the caller does not reach
    ("AuthorizationsFunction", lambda: post_authorization(purchase(accountId="4000000000000002")), 404, "accountId"),
    (
        "AuthorizationsFunction",
        lambda: post_authorization(purchase(accountId="RANACNOBODY01", accountIdType="RANAC")),
        404,
        "accountId",
    ),
    ("AuthorizationsFunction", lambda: post_authorization(purchase(), authorizer=FOREIGN_CLIENT), 404, "accountId"),
    (
        "AuthorizationsFunction",
        lambda: post_authorization(purchase(queueTransaction="Y"), authorizer=FOREIGN_CLIENT),
        404,
        "accountId",
    ),
    (
        "AuthorizationsFunction",
        lambda: post_authorization(purchase(queueTransaction="Y", accountId="4000000000000002")),
        404,
        "accountId",
    ),
]

HISTORY_CASES: list[Case] = [
    ("AuthorizationsFunction", lambda: get_authorizations(user_id=DROP), 400, "user_id"),
    ("AuthorizationsFunction", lambda: get_authorizations(from_date=DROP), 400, "from_date"),
    ("AuthorizationsFunction", lambda: get_authorizations(include_reprocessed=DROP), 400, "include_reprocessed"),
    ("AuthorizationsFunction", lambda: get_authorizations(from_date="20261101"), 400, "from_date"),
    ("AuthorizationsFunction", lambda: get_authorizations(to_date="2026-02-30"), 400, "to_date"),
    ("AuthorizationsFunction", lambda: get_authorizations(to_date="2026-10-01"), 400, "to_date"),
    ("AuthorizationsFunction", lambda: get_authorizations(to_date="2028-01-01"), 400, "to_date"),
    ("AuthorizationsFunction", lambda: get_authorizations(include_reprocessed="maybe"), 400, "include_reprocessed"),
    ("AuthorizationsFunction", lambda: get_authorizations(pwr_filter_categories="X"), 400, "pwr_filter_categories"),
    ("AuthorizationsFunction", lambda: get_authorizations(user_id_type="PAN"), 400, "user_id_type"),
    ("AuthorizationsFunction", lambda: get_authorizations(user_id="R" * 31), 400, "user_id"),
    ("AuthorizationsFunction", lambda: get_authorizations(external_id="E" * 16), 400, "external_id"),
    ("AuthorizationsFunction", lambda: get_authorizations(user_id="RANACNOBODY01"), 404, "user_id"),
    ("AuthorizationsFunction", lambda: get_authorizations(authorizer=FOREIGN_CLIENT), 404, "user_id"),
]

REPROCESS_CASES: list[Case] = [
    ("ReprocessFunction", lambda: reprocess("{not json"), 400, "body"),
    ("ReprocessFunction", lambda: reprocess(reprocess_body(processedBy=DROP)), 400, "processedBy"),
    ("ReprocessFunction", lambda: reprocess(reprocess_body(accountId=DROP)), 400, "accountId"),
    ("ReprocessFunction", lambda: reprocess(reprocess_body(processedBy="P" * 11)), 400, "processedBy"),
    ("ReprocessFunction", lambda: reprocess(reprocess_body(accountIdType="BAN")), 400, "accountIdType"),
    ("ReprocessFunction", lambda: reprocess(reprocess_body(accountId=12345)), 400, "accountId"),
    ("ReprocessFunction", lambda: reprocess([reprocess_body()]), 400, "body"),
    ("ReprocessFunction", lambda: reprocess(reprocess_body(), auth_id="12345678901"), 400, "id"),
    ("ReprocessFunction", lambda: reprocess(reprocess_body()), 404, "id"),
]

PROFILE_CASES: list[Case] = [
    ("RedeemersFunction", lambda: search("{"), 400, "body"),
    ("RedeemersFunction", lambda: search([{"userId": "5555555555554444", "userIdType": "BAN"}]), 400, "body"),
    ("RedeemersFunction", lambda: search({"userIdType": "BAN"}), 400, "userId"),
    ("RedeemersFunction", lambda: search({"userId": "5555555555554444"}), 400, "userIdType"),
    ("RedeemersFunction", lambda: search({"userId": "5555555555554444", "userIdType": "PAN"}), 400, "userIdType"),
    ("RedeemersFunction", lambda: search({"userId": "1" * 31, "userIdType": "BAN"}), 400, "userId"),
    ("RedeemersFunction", lambda: search({"userId": 5555555555554444, "userIdType": "BAN"}), 400, "userId"),
    (
        "RedeemersFunction",
        lambda: search({"userId": "x", "userIdType": "BAN", "redemptionType": "CASH"}),
        400,
        "redemptionType",
    ),
    ("RedeemersFunction", lambda: search({"userId": "4000000000000002", "userIdType": "BAN"}), 404, "userId"),
    (
        "RedeemersFunction",
        lambda: search({"userId": "5555555555554444", "userIdType": "BAN"}, authorizer=FOREIGN_CLIENT),
        404,
        "userId",
    ),
    ("RedeemersFunction", lambda: get_redeemer("R" * 31), 400, "id"),
    ("RedeemersFunction", lambda: get_redeemer("RANACNOBODY01"), 404, "id"),
    ("PreferencesFunction", lambda: put_preferences("{oops"), 400, "body"),
    ("PreferencesFunction", lambda: put_preferences([{"preferences": {}}]), 400, "body"),
    (
        "PreferencesFunction",
        lambda: put_preferences({"preferences": {"redemptionFrequency": 1}}),
        400,
        "preferences.redemptionFrequency",
    ),
    ("PreferencesFunction", lambda: put_preferences({"userIdType": "BAN", "preferences": {}}), 400, "userIdType"),
    ("PreferencesFunction", lambda: put_preferences({"preferences": {}}, account_id="RANACNOBODY01"), 404, "id"),
]

CASES = AUTHORIZATION_CASES + HISTORY_CASES + REPROCESS_CASES + PROFILE_CASES


def case_id(case: Case) -> str:
    function, _, status, field = case
    return f"{function.removesuffix('Function')}-{status}-{field}"


def snapshot(stack: Stack) -> list[str]:
    """Every item of the ledger table (balances, ledger entries, records, uniqueness keys, outbox)."""
    return sorted(json.dumps(item, sort_keys=True) for item in ledger_items(stack))


def queued_messages(stack: Any) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.queues["AuthorizationQueue"], AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


@pytest.fixture(scope="class")
def demo_once() -> Iterator[Stack]:
    """One demo stack for every bad-input case: a case that wrote anything fails its own snapshot check."""
    from moto import mock_aws

    with mock_aws():
        runtime.reset()
        stack = provision_stack()
        load_config(stack)
        yield stack
        runtime.reset()


class TestBadInput:
    @pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
    def test_is_a_4xx_envelope_naming_the_field_and_writes_nothing(self, demo_once: Stack, case: Case) -> None:
        function, make_event, status, field = case
        before = snapshot(demo_once)

        response = invoke(function, make_event())

        assert response["statusCode"] == status, response
        assert response["headers"]["Content-Type"] == "application/json"
        errors = body(response)["Errors"]["Error"]
        assert errors, "the envelope lists at least one error"
        for error in errors:
            assert set(error) == ENVELOPE_FIELDS
            assert error["Source"] == "pay-with-rewards-api"
            assert error["Recoverable"] is False
            assert error["ReasonCode"] and error["Description"]
        assert field in [error["Details"] for error in errors], errors
        assert "5555555555554444" not in response["body"]
        assert snapshot(demo_once) == before
        assert queued_messages(demo_once) == 0


def test_the_valid_requests_the_cases_start_from_succeed(demo):
    """Each bad case differs from one of these by one thing; as they are, they succeed."""
    assert invoke("AuthorizationsFunction", post_authorization(purchase()))["statusCode"] == 200
    assert invoke("AuthorizationsFunction", get_authorizations())["statusCode"] == 200
    assert invoke("RedeemersFunction", search({"userId": "5555555555554444", "userIdType": "BAN"}))["statusCode"] == 200
    assert invoke("RedeemersFunction", get_redeemer("RANACALICE0001"))["statusCode"] == 200
    assert invoke("PreferencesFunction", put_preferences({"preferences": {}}))["statusCode"] == 200
    carol = purchase(accountId="5200828282828210", externalId="VALIDBASE01")
    [eligible] = body(invoke("AuthorizationsFunction", post_authorization(carol)))
    assert eligible["responseReasonId"] == "59"
    assert invoke("ReprocessFunction", reprocess(reprocess_body(), auth_id=eligible["id"]))["statusCode"] == 200


# -- bodies that cannot be parsed at all, on every route -------------------------------------------
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000
DEEP_ARRAY = "[" * 10_000 + "]" * 10_000
HUGE_INTEGER = '{"pointsRedeemed": ' + "9" * 5_000 + "}"
HUGE_EXPONENT = '{"pointsCredited": 1e999999, "cashEquivalent": 1e400}'
UNPARSEABLE = {
    "deep-object": DEEP_OBJECT,
    "deep-array": DEEP_ARRAY,
    "huge-int": HUGE_INTEGER,
    "huge-exp": HUGE_EXPONENT,
}
ROUTES: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "search": ("RedeemersFunction", search),
    "get-redeemer": (
        "RedeemersFunction",
        lambda raw: on_item(
            "GET",
            "/redeemers/{id}",
            "RANACALICE0001",
            query={"redemption_type": "PWR"},
            body=raw,
            authorizer=CLIENT_CONTEXT,
        ),
    ),
    "put-preferences": ("PreferencesFunction", put_preferences),
    "post-authorization": ("AuthorizationsFunction", post_authorization),
    "reprocess": ("ReprocessFunction", reprocess),
    "post-redemption": (
        "RedemptionsFunction",
        lambda raw: http_event("POST", "/redemptions", body=raw, authorizer=CLIENT_CONTEXT),
    ),
    "post-credit": (
        "RedemptionsFunction",
        lambda raw: on_item("POST", "/redemptions/{id}/credits", "1234567890", body=raw, authorizer=CLIENT_CONTEXT),
    ),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("kind", list(UNPARSEABLE))
def test_a_body_that_cannot_be_parsed_is_a_400_naming_the_body_on_every_route(demo, route, kind):
    function, make = ROUTES[route]
    before = snapshot(demo)
    response = invoke(function, make(UNPARSEABLE[kind]))
    if route == "get-redeemer" and kind == "huge-exp":  # a JSON object a GET ignores
        assert response["statusCode"] == 200, response
        return
    assert response["statusCode"] == 400, response
    errors = body(response)["Errors"]["Error"]
    assert all(set(error) == ENVELOPE_FIELDS and error["Details"] for error in errors), errors
    if kind != "huge-exp":  # that one parses (to infinity); validation then names a field
        assert [error["Details"] for error in errors] == ["body"], errors
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "2099-01-01T00:00:00Z", "1990-06-01T12:00:00-05:00"],
)
def test_an_implausible_transaction_time_is_a_400_naming_the_field(demo, moment):
    before = snapshot(demo)
    response = invoke("AuthorizationsFunction", post_authorization(purchase(transactionDateAndTime=moment)))
    assert response["statusCode"] == 400, response
    [error] = body(response)["Errors"]["Error"]
    assert error["Details"] == "transactionDateAndTime", error
    assert snapshot(demo) == before
