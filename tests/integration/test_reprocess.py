"""Post-purchase redemption: list eligible authorizations, reprocess one, at most once."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from tools.apigw import http_event

from rewards import runtime
from tests.support import CLIENT_CONTEXT, body, invoke, load_event, set_body

CAROL = "RANACCAROL0001"
CAROL_CARD = "5200828282828210"


def carol_purchase(external_id: str, **changes: str) -> dict[str, Any]:
    """Carol (PWR OFF, 7,650 points) buys for $100; returns the POST /authorizations result."""
    event = load_event("apigw-post-authorization-sync")
    request = {
        **body({"body": event["body"]}),
        "accountId": CAROL_CARD,
        "externalId": external_id,
        **changes,
    }
    event = http_event("POST", "/authorizations", body=request, authorizer=CLIENT_CONTEXT)
    response = invoke("AuthorizationsFunction", event)
    assert response["statusCode"] == 200, response
    [result] = body(response)
    return dict(result)


def reprocess(auth_id: str, account_id: str = CAROL, processed_by: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(load_event("apigw-post-reprocess"))
    path = f"/authorizations/{auth_id}/reprocess"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"id": auth_id}
    request = json.loads(event["body"].replace("RANACCAROL0001", account_id))
    if processed_by is not None:
        request["processedBy"] = processed_by
    set_body(event, json.dumps(request))
    return invoke("ReprocessFunction", event)


def listed(categories: str | None = None, include_reprocessed: bool = True) -> list[dict[str, Any]]:
    query = {
        "user_id": CAROL,
        "from_date": "2026-11-01",
        "to_date": "2026-11-30",
        "include_reprocessed": str(include_reprocessed).lower(),
    }
    if categories is not None:
        query["pwr_filter_categories"] = categories
    response = invoke(
        "AuthorizationsFunction", http_event("GET", "/authorizations", query=query, authorizer=CLIENT_CONTEXT)
    )
    assert response["statusCode"] == 200, response
    return list(body(response))


def debits(pool_id: str) -> list[Decimal]:
    return [entry.points for entry in runtime.ledger().pool_ledger(pool_id).entries]


def carol_balance() -> Decimal:
    pool = runtime.ledger().pool(CAROL)
    assert pool is not None
    return pool.balance


def error_of(response: dict[str, Any]) -> dict[str, Any]:
    [error] = body(response)["Errors"]["Error"]
    return dict(error)


def test_post_purchase_flow_lists_eligible_then_redeems_once(demo):
    purchase = carol_purchase("CAROL0001")
    assert purchase["responseReasonId"] == "59"
    assert [a["id"] for a in listed("E")] == [purchase["id"]]
    assert listed("R") == []

    response = reprocess(purchase["id"])

    assert response["statusCode"] == 200, response
    result = body(response)
    assert result["reprocessCode"] == "60"
    assert result["reprocessId"] and len(result["reprocessId"]) <= 10
    # seed: 7,650 points, $100 at $0.01 with $10 increments -> $70 for 7,000 points, 650 left
    assert debits(CAROL) == [Decimal(7000)]
    assert carol_balance() == Decimal(650)
    assert listed("E") == []
    [redeemed] = listed("R")
    assert redeemed["id"] == purchase["id"]
    assert redeemed["reprocessId"] == result["reprocessId"]
    assert redeemed["pointsRedeemed"] == "7000"
    assert redeemed["partiallyRedeemed"] is True
    assert redeemed["reprocessedBy"] == "APPUSER"


def test_the_same_reprocess_sent_again_answers_its_first_result_and_debits_nothing(demo):
    purchase = carol_purchase("CAROL0004")
    first = reprocess(purchase["id"])
    assert first["statusCode"] == 200

    again = reprocess(purchase["id"])

    assert again["statusCode"] == 200 and body(again) == body(first)
    assert debits(CAROL) == [Decimal(7000)]


def test_another_reprocess_of_a_reprocessed_authorization_is_a_conflict_and_debits_nothing(demo):
    purchase = carol_purchase("CAROL0002")
    assert reprocess(purchase["id"])["statusCode"] == 200

    again = reprocess(purchase["id"], processed_by="OTHERAPP")

    assert again["statusCode"] == 409
    error = error_of(again)
    assert error["ReasonCode"] == "ALREADY_REPROCESSED"
    assert error["Source"] == "pay-with-rewards-api"
    assert debits(CAROL) == [Decimal(7000)]
    assert carol_balance() == Decimal(650)


def test_outcome_that_is_not_reprocessable_is_refused(demo):
    purchase = carol_purchase("CAROL0003", merchantCategoryCode="6011")  # excluded MCC -> 70
    assert purchase["responseReasonId"] == "70"

    response = reprocess(purchase["id"])

    assert response["statusCode"] == 422
    assert error_of(response)["ReasonCode"] == "NOT_REPROCESSABLE"
    assert debits(CAROL) == []
    assert carol_balance() == Decimal(7650)
    [still] = listed("I")
    assert "reprocessId" not in still


def test_include_reprocessed_false_hides_reprocessed_authorizations(demo):
    kept = carol_purchase("CAROL0004", cardholderBillingAmount="20.00")
    redeemed = carol_purchase("CAROL0005", cardholderBillingAmount="30.00")
    assert reprocess(redeemed["id"])["statusCode"] == 200

    assert {a["id"] for a in listed(include_reprocessed=True)} == {kept["id"], redeemed["id"]}
    assert [a["id"] for a in listed(include_reprocessed=False)] == [kept["id"]]


def test_reprocess_with_another_account_is_not_found_and_debits_nothing(demo):
    purchase = carol_purchase("CAROL0006")

    response = reprocess(purchase["id"], account_id="RANACALICE0001")

    assert response["statusCode"] == 404
    assert error_of(response)["ReasonCode"] == "AUTHORIZATION_NOT_FOUND"
    assert debits(CAROL) == [] and debits("HH-DEMO-1") == []
    assert [a["id"] for a in listed("E")] == [purchase["id"]]


def test_reprocess_of_an_unknown_id_is_not_found(demo):
    response = reprocess("0000000000")
    assert response["statusCode"] == 404
    assert error_of(response)["ReasonCode"] == "AUTHORIZATION_NOT_FOUND"


def test_reprocess_by_a_client_without_the_program_is_not_found(demo):
    purchase = carol_purchase("CAROL0007")
    event = copy.deepcopy(load_event("apigw-post-reprocess"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/authorizations/{purchase['id']}/reprocess"
    event["pathParameters"] = {"id": purchase["id"]}
    event["requestContext"]["authorizer"]["lambda"] = {**CLIENT_CONTEXT, "programIds": "OTHER"}

    response = invoke("ReprocessFunction", event)

    assert response["statusCode"] == 404
    assert debits(CAROL) == []


def test_stored_authorization_keeps_no_card_number_and_stays_reprocessable(demo):
    purchase = carol_purchase("CAROL0008", primaryAccountNumber=CAROL_CARD, accountNumber=CAROL_CARD)
    items = demo.client("dynamodb").scan(TableName=demo.ledger_table)["Items"]
    assert CAROL_CARD not in json.dumps(items)
    stored = runtime.ledger().authorization(purchase["id"])
    assert stored is not None and stored.fields.accountId == CAROL and stored.fields.primaryAccountNumber is None
    assert reprocess(purchase["id"])["statusCode"] == 200


def test_retried_purchase_after_a_reprocess_gets_its_first_answer_and_redeems_nothing(demo):
    first = carol_purchase("CAROL0009")
    assert first["responseReasonId"] == "59"
    assert reprocess(first["id"])["statusCode"] == 200
    balance_after_reprocess = carol_balance()

    retried = carol_purchase("CAROL0009")

    assert retried == first  # the first answer, not the reprocessed state
    assert carol_balance() == balance_after_reprocess
    assert len(debits(CAROL)) == 1
    [current] = listed("R")
    assert current["id"] == first["id"] and current["responseReasonId"] == "60"
