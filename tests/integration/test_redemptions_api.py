"""POST /redemptions on moto: seed 003 samples as written, scenarios, rounding, external items,
eligibility, all-or-nothing debits, idempotent retries, STATEMENT_CREDIT, bad input."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest

from tests.integration.dr_support import (
    CASHBACK_USER,
    ISSUER,
    MERCHANDISE_USER,
    TRAVEL_USER,
    error,
    events_of_type,
    pool_balance,
    redeem,
    seed,
)
from tests.support import body, invoke, ledger_items, ledger_of, load_event, pool_entries, set_body

RESPONSE_KEYS = {"id", "pointBalance", "pointsName", "programName", "cashEquivalent", "currencyCode", "items"}


def assert_sample_shape(result: dict, reference_field: str, reference: str) -> None:
    assert set(result) == RESPONSE_KEYS
    uuid.UUID(result["id"])
    [item] = result["items"]
    assert set(item) == {"itemId", "redemptionId", reference_field}
    uuid.UUID(item["itemId"])
    assert isinstance(item["redemptionId"], int) and item["redemptionId"] > 0
    assert item[reference_field] == reference


# -- seed samples, as written ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "pool", "opening", "points", "reference_field", "reference"),
    [
        ("cashback", CASHBACK_USER, "50000", "366.66", "redemptionMatrixItemId", "41275"),
        ("merchandise", MERCHANDISE_USER, "20000", "1", "redemptionItemId", "65973"),
        ("external", CASHBACK_USER, "50000", "3", "redemptionMatrixItemId", "41275"),
        ("travel", TRAVEL_USER, "482097", "1", "redemptionItemId", "50243"),
        ("points-only", CASHBACK_USER, "50000", "3", "redemptionMatrixItemId", "41275"),
        ("cash-only", CASHBACK_USER, "50000", "813", "redemptionItemId", "19068"),  # $10 / 0.0123 = 813.008 NATURAL
        ("points-and-cash", MERCHANDISE_USER, "20000", "1", "redemptionItemId", "65973"),
    ],
)
def test_every_seed_sample_is_accepted_as_written(demo, name, pool, opening, points, reference_field, reference):
    response = invoke("RedemptionsFunction", load_event(f"apigw-post-redemption-{name}"))
    assert response["statusCode"] == 200, response
    result = body(response)
    assert_sample_shape(result, reference_field, reference)
    expected = Decimal(opening) - Decimal(points)
    assert Decimal(str(result["pointBalance"])) == expected
    assert pool_balance(demo, pool) == expected


def test_sample_answers_carry_program_names_and_balance_cash_value(demo):
    travel = body(invoke("RedemptionsFunction", load_event("apigw-post-redemption-travel")))
    assert (travel["pointsName"], travel["programName"], travel["currencyCode"]) == ("Miles", "MR Test Program", "AUD")
    assert travel["cashEquivalent"] == 4820.96  # 482,096 miles at the base $0.01
    cashback = body(invoke("RedemptionsFunction", load_event("apigw-post-redemption-cashback")))
    assert cashback["pointBalance"] == 49633.34
    assert cashback["cashEquivalent"] == 496.33  # floored to the cent


def test_redemption_writes_one_debit_a_record_per_line_and_an_outbox_event(demo):
    request = seed("points-only")
    request["items"].append({**request["items"][0], "pointsRedeemed": 7})
    result = body(redeem(request))
    entries = pool_entries(demo, CASHBACK_USER)
    assert [(e.kind, e.points, e.reference) for e in entries] == [("DEBIT", 10, result["id"])]
    ledger = ledger_of(demo)
    lines = [ledger.redemption_line(i["redemptionId"]) for i in result["items"]]
    assert sorted(line.points for line in lines) == [3, 7]
    assert {line.request_id for line in lines} == {result["id"]}
    [event] = events_of_type(demo, "dr.redemption.created")
    assert event["id"] == result["id"] and event["pointsRedeemed"] == "10"


# -- scenarios and rounding --------------------------------------------------------------------
def test_cash_only_uses_the_program_rounding_method(demo):
    up = {
        "redemptionType": "MERCHANDISE",
        "userId": TRAVEL_USER,
        "userIdType": "RANAC",
        "items": [{"paymentOption": "POINTS_ONLY", "cashEquivalent": "10", "redemptionItemId": "50244"}],
    }
    result = body(redeem(up))  # DRTRAVEL rounds UP: 813.008 -> 814
    assert result["pointBalance"] == 482097 - 814


def test_points_and_cash_mismatch_is_refused_and_debits_nothing(demo):
    request = seed("points-and-cash")
    request["items"][0]["pointsRedeemed"] = 2  # $1 at $1 per point is 1 point
    response = redeem(request)
    assert response["statusCode"] == 400
    problem = error(response)
    assert problem["ReasonCode"] == "POINTS_CASH_MISMATCH"
    assert problem["Details"] == "items[0].pointsRedeemed"
    assert pool_balance(demo, MERCHANDISE_USER) == 20000


def test_whole_points_program_refuses_fractional_points(demo):
    request = seed("travel")
    request["items"][0] = {"pointsRedeemed": 3.5, "redemptionItemId": "50243", "paymentOption": "POINTS_ONLY"}
    request.pop("externalId")
    response = redeem(request)
    assert response["statusCode"] == 400
    problem = error(response)
    assert (problem["ReasonCode"], problem["Details"]) == ("WHOLE_POINTS_ONLY", "items[0].pointsRedeemed")
    assert pool_balance(demo, TRAVEL_USER) == 482097


def test_cashback_worth_more_than_its_points_is_refused(demo):
    request = seed("cashback")
    request["items"][0]["cashbackAmount"] = 11.01  # 366.66 points at $0.03 are worth $11.00
    response = redeem(request)
    assert response["statusCode"] == 400
    assert error(response)["Details"] == "items[0].cashbackAmount"


# -- external items ------------------------------------------------------------------------------
def test_external_item_without_sku_gets_the_seed_error(demo):
    request = seed("external")
    del request["items"][0]["additionalDetails"]["itemSkuCode"]
    response = redeem(request)
    assert response["statusCode"] == 400
    problem = error(response)
    assert problem["Description"] == "Invalid request. ItemSkuCode must be provided"
    assert problem["ReasonCode"] == "-1"
    assert pool_balance(demo, CASHBACK_USER) == 50000


def test_external_item_with_other_source_code_gets_the_seed_error(demo):
    request = {**seed("external"), "sourceCode": "PP"}
    response = redeem(request)
    assert response["statusCode"] == 400
    problem = error(response)
    assert problem["Description"] == "VALID Source Codes for Externally Hosted Item Redemption are 'EC','ES'"
    assert problem["ReasonCode"] == "-1"
    assert redeem({**seed("external"), "sourceCode": "ES"})["statusCode"] == 200


def test_any_additional_details_make_an_item_external(demo):
    request = seed("points-only")
    request["items"][0]["additionalDetails"] = {}
    assert error(redeem(request))["Description"] == "Invalid request. ItemSkuCode must be provided"


# -- eligibility and balance -----------------------------------------------------------------------
def test_non_redeemer_is_refused_with_nothing_debited(demo):
    request = {**seed("points-only"), "userId": "RANACDAVE00001"}
    response = redeem(request)
    assert response["statusCode"] == 422
    assert error(response)["ReasonCode"] == "NOT_HOUSEHOLD_REDEEMER"
    assert pool_balance(demo, "HH-DEMO-1") == 12000


def test_account_status_not_in_good_standing_is_refused(demo):
    demo.client("dynamodb").update_item(
        TableName=demo.ledger_table,
        Key={"pk": {"S": "ACCOUNT#RANACCAROL0001"}, "sk": {"S": "ACCOUNT"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "ON_HOLD"}},
    )
    response = redeem({**seed("points-only"), "userId": "RANACCAROL0001"})
    assert response["statusCode"] == 422
    assert error(response)["ReasonCode"] == "ACCOUNT_NOT_ELIGIBLE"
    assert pool_balance(demo, "RANACCAROL0001") == 7650


def test_client_not_mapped_to_the_program_gets_404(demo):
    response = redeem(seed("travel"), caller=ISSUER)  # demo-issuer only reaches PWRDEMO
    assert response["statusCode"] == 404
    assert pool_balance(demo, TRAVEL_USER) == 482097


def test_two_lines_where_the_second_cannot_be_paid_debit_nothing(demo):
    line = {"paymentOption": "POINTS_ONLY", "pointsRedeemed": 5000, "redemptionMatrixItemId": "41275"}
    request = {**seed("points-only"), "userId": "RANACCAROL0001", "items": [line, dict(line)]}  # 10,000 > 7,650
    before = len(ledger_items(demo))
    response = redeem(request)
    assert response["statusCode"] == 422
    assert error(response)["ReasonCode"] == "INSUFFICIENT_POINTS"
    assert pool_balance(demo, "RANACCAROL0001") == 7650
    assert len(ledger_items(demo)) == before


def test_second_line_with_unknown_item_debits_nothing(demo):
    request = seed("points-only")
    request["items"].append({**request["items"][0], "redemptionMatrixItemId": "99999"})
    response = redeem(request)
    assert response["statusCode"] == 400
    assert error(response)["Details"] == "items[1].redemptionMatrixItemId"
    assert pool_balance(demo, CASHBACK_USER) == 50000


def test_the_conditional_debit_refuses_when_the_balance_moved_after_the_check(demo, monkeypatch):
    """The balance read is stale (a concurrent debit): the transaction itself must refuse."""
    from rewards.adapters.dynamo_ledger import DynamoLedger
    from rewards.domain import PointPool

    real_pool = DynamoLedger.pool
    calls = {"n": 0}

    def stale_first(self, pool_id):
        pool = real_pool(self, pool_id)
        calls["n"] += 1
        if calls["n"] == 1 and pool is not None:
            return PointPool(pool.poolId, Decimal(1_000_000), pool.openingBalance, pool.programId)
        return pool

    monkeypatch.setattr(DynamoLedger, "pool", stale_first)
    line = {"paymentOption": "POINTS_ONLY", "pointsRedeemed": 5000, "redemptionMatrixItemId": "41275"}
    request = {**seed("points-only"), "userId": "RANACCAROL0001", "items": [line, dict(line)]}
    response = redeem(request)
    assert response["statusCode"] == 422
    assert error(response)["ReasonCode"] == "INSUFFICIENT_POINTS"
    assert pool_balance(demo, "RANACCAROL0001") == 7650


# -- retries ---------------------------------------------------------------------------------------
def test_same_external_id_replays_the_first_response_and_debits_once(demo):
    first = body(invoke("RedemptionsFunction", load_event("apigw-post-redemption-travel")))
    second = body(invoke("RedemptionsFunction", load_event("apigw-post-redemption-travel")))
    assert first == second
    assert pool_balance(demo, TRAVEL_USER) == 482096


def test_a_replay_answers_the_very_bytes_of_the_first_answer(demo):
    """A balance worth a whole number of dollars (7,000 points = 70.00 at $0.01): 70, both times."""
    headers = {"Idempotency-Key": "bytes-1"}
    line = {"paymentOption": "POINTS_ONLY", "pointsRedeemed": 650, "redemptionMatrixItemId": "41275"}
    request = {**seed("points-only"), "userId": "RANACCAROL0001", "items": [line]}
    first, second = redeem(request, headers=headers), redeem(request, headers=headers)
    assert first["statusCode"] == second["statusCode"] == 200
    assert json.loads(first["body"])["pointBalance"] == 7000
    assert '"cashEquivalent":70,' in first["body"], first["body"]
    assert second["body"] == first["body"]


def test_same_external_id_with_another_request_is_a_conflict(demo):
    assert redeem(seed("travel"))["statusCode"] == 200
    changed = seed("travel")
    changed["totalCashValue"] = 19
    response = redeem(changed)
    assert response["statusCode"] == 409
    assert error(response)["ReasonCode"] == "DUPLICATE_EXTERNAL_ID"
    assert pool_balance(demo, TRAVEL_USER) == 482096


def test_idempotency_key_replays_and_rejects_another_payload(demo):
    headers = {"Idempotency-Key": "order-42"}
    first = redeem(seed("points-only"), headers=headers)
    second = redeem(seed("points-only"), headers=headers)
    assert first["statusCode"] == second["statusCode"] == 200
    assert body(first) == body(second)
    assert pool_balance(demo, CASHBACK_USER) == 50000 - 3
    other = redeem(seed("cash-only"), headers=headers)
    assert other["statusCode"] == 409
    assert error(other)["ReasonCode"] == "IDEMPOTENCY_KEY_REUSED"
    assert pool_balance(demo, CASHBACK_USER) == 50000 - 3
    assert len(events_of_type(demo, "dr.redemption.created")) == 1


def test_retry_after_the_balance_ran_out_still_replays(demo):
    headers = {"Idempotency-Key": "all-in"}
    line = {"paymentOption": "POINTS_ONLY", "pointsRedeemed": 7650, "redemptionMatrixItemId": "41275"}
    request = {**seed("points-only"), "userId": "RANACCAROL0001", "items": [line]}
    first = redeem(request, headers=headers)
    assert body(first)["pointBalance"] == 0
    assert body(redeem(request, headers=headers)) == body(first)


# -- STATEMENT_CREDIT (model 2) -------------------------------------------------------------------
def _carol_authorization() -> str:
    event = load_event("apigw-post-authorization-sync")
    payload = json.loads(event["body"])
    payload.update(accountId="5200828282828210", externalId="EXTCAROL0001")
    set_body(event, json.dumps(payload))
    [result] = body(invoke("AuthorizationsFunction", event))
    assert result["responseReasonId"] == "59"  # Carol's PWR is OFF
    return str(result["id"])


def test_statement_credit_updates_the_authorization_without_moving_points(demo):
    auth_id = _carol_authorization()
    event = load_event("apigw-post-redemption-statement-credit")
    payload = json.loads(event["body"])
    payload["paymentAuthId"] = auth_id
    first = redeem(payload, caller=ISSUER)
    assert first["statusCode"] == 200, first
    result = body(first)
    assert list(result) == ["id"] and 1 <= len(result["id"]) <= 10
    assert body(redeem(payload, caller=ISSUER)) == result  # idempotent on externalId
    assert pool_balance(demo, "RANACCAROL0001") == 7650
    stored = ledger_of(demo).authorization(auth_id)
    assert stored.record().responseReasonId == "60"
    assert stored.record().pointsRedeemed == "1075"
    assert stored.statement_credit["externalId"] == "EXTRED0001"
    again = redeem({**payload, "externalId": "EXTRED0002"}, caller=ISSUER)
    assert again["statusCode"] == 409
    assert error(again)["ReasonCode"] == "ALREADY_CREDITED"


def test_statement_credit_for_an_unknown_authorization_is_404(demo):
    payload = json.loads(load_event("apigw-post-redemption-statement-credit")["body"])
    response = redeem(payload, caller=ISSUER)
    assert response["statusCode"] == 404
    assert error(response)["ReasonCode"] == "AUTHORIZATION_NOT_FOUND"


# -- bad input: 400 naming the field, nothing written --------------------------------------------
@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda r: r.pop("redemptionType"), "redemptionType", "MISSING_REQUIRED_FIELD"),
        (lambda r: r.update(redemptionType="GIFT"), "redemptionType", "INVALID_FIELD"),
        (lambda r: r.pop("userId"), "userId", "MISSING_REQUIRED_FIELD"),
        (lambda r: r["items"][0].update(pointsRedeemed=-3), "items[0].pointsRedeemed", "INVALID_FIELD"),
        (lambda r: r["items"][0].update(quantity=0), "items[0].quantity", "INVALID_FIELD"),
        (lambda r: r["items"][0].update(paymentOption="CASH"), "items[0].paymentOption", "INVALID_FIELD"),
        (lambda r: r["items"][0].pop("paymentOption"), "items[0].paymentOption", "MISSING_REQUIRED_FIELD"),
        (lambda r: r.update(items=[]), "items", "INVALID_FIELD"),
        (lambda r: r.update(color="red"), "color", "INVALID_FIELD"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(demo, mutate, field, reason):
    request = seed("points-only")
    mutate(request)
    before = len(ledger_items(demo))
    response = redeem(request)
    assert response["statusCode"] == 400, response
    problems = body(response)["Errors"]["Error"]
    assert any(p["Details"] == field and p["ReasonCode"] == reason for p in problems), problems
    assert all(p["Source"] == "digital-redemptions-api" for p in problems)
    assert len(ledger_items(demo)) == before


def test_malformed_json_and_bad_idempotency_key_are_400(demo):
    assert error(redeem("{not json"))["ReasonCode"] == "INVALID_JSON"
    response = redeem(seed("points-only"), headers={"Idempotency-Key": "has spaces"})
    assert response["statusCode"] == 400
    assert error(response)["Details"] == "Idempotency-Key"
    assert pool_balance(demo, CASHBACK_USER) == 50000
