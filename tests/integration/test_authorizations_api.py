"""POST/GET /authorizations on moto, driven by the files in events/."""

from __future__ import annotations

import json

from tests.support import body, invoke, load_event


def test_sync_authorization_redeems_points_and_turns_single_preference_off(demo):
    response = invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync"))
    assert response["statusCode"] == 200, response
    [result] = body(response)
    assert result["responseReasonId"] == "60"
    assert result["programId"] == "PWRDEMO"
    assert len(result["id"]) <= 10

    prefs = invoke("PreferencesFunction", load_event("apigw-get-preferences"))
    assert body(prefs)["redemptionFrequency"] == "OFF"
    profile = body(invoke("RedeemersFunction", load_event("apigw-get-redeemer")))
    assert profile["householdInfo"]["pointBalance"] == "2000"  # 12,000 - 10,000 for $100 at $0.01


def test_same_external_id_replays_first_result_and_redeems_nothing_more(demo):
    first = body(invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync")))
    second = body(invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync")))
    assert first == second
    profile = body(invoke("RedeemersFunction", load_event("apigw-get-redeemer")))
    assert profile["householdInfo"]["pointBalance"] == "2000"


def test_queued_authorization_returns_only_a_message_and_lands_on_the_queue(demo):
    response = invoke("AuthorizationsFunction", load_event("apigw-post-authorization-queued"))
    assert response["statusCode"] == 200
    assert list(body(response)[0]) == ["responseMessage"]
    sqs = demo.client("sqs")
    messages = sqs.receive_message(QueueUrl=demo.queues["AuthorizationQueue"], MaxNumberOfMessages=10)["Messages"]
    [message] = messages
    queued = json.loads(message["Body"])
    assert queued["origin"] == "CLIENT" and queued["clientId"] == "demo-issuer"
    assert queued["authorization"]["accountIdType"] == "RANAC"
    assert "5555555555554444" not in message["Body"]


def test_history_lists_redeemed_authorization(demo):
    invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync"))
    response = invoke("AuthorizationsFunction", load_event("apigw-get-authorizations"))
    assert response["statusCode"] == 200, response
    [item] = body(response)
    assert item["responseReasonId"] == "60"
    assert item["pointsRedeemed"] == "10000"
    assert item["cashBackAmount"] == 100
    assert item["de006CardholderBillingAmount"] == "100.00"
