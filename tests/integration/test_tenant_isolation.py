"""A client reaches only the cardholders of its programs: anything else is 404, exactly as for an
account that does not exist, and nothing changes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.support import CLIENT_CONTEXT, body, invoke, load_event, set_body

FOREIGN = {"clientId": "other-issuer", "programIds": "OTHERPROG,DRTRAVEL", "role": "ISSUER"}
ALICE, NOBODY = "RANACALICE0001", "RANACNOBODY001"


def as_caller(name: str, caller: dict[str, str], **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(load_event(name))
    event["requestContext"]["authorizer"] = {"lambda": dict(caller)}
    if "body" in changes:
        set_body(event, json.dumps(changes.pop("body")))
    for key, value in changes.items():
        event[key] = value
    return event


def with_account(name: str, account: str, caller: dict[str, str]) -> dict[str, Any]:
    event = as_caller(name, caller)
    original = event["pathParameters"]["id"]
    event["rawPath"] = event["requestContext"]["http"]["path"] = event["rawPath"].replace(original, account)
    event["pathParameters"] = {"id": account}
    return event


def assert_hidden(foreign: dict[str, Any], missing: dict[str, Any], *ids: str) -> None:
    """404, and the same answer as for an account that does not exist (ids aside)."""
    assert foreign["statusCode"] == 404, foreign
    assert missing["statusCode"] == 404, missing
    text = foreign["body"]
    for account in ids:
        text = text.replace(account, "<id>")
    missing_text = missing["body"]
    for account in (NOBODY, "5105105105105109", "1234567890"):
        missing_text = missing_text.replace(account, "<id>")
    assert text == missing_text


def alice_balance() -> str:
    return str(body(invoke("RedeemersFunction", load_event("apigw-get-redeemer")))["householdInfo"]["pointBalance"])


def test_profile_of_another_programs_cardholder_is_404(demo):
    foreign = invoke("RedeemersFunction", with_account("apigw-get-redeemer", ALICE, FOREIGN))
    missing = invoke("RedeemersFunction", with_account("apigw-get-redeemer", NOBODY, FOREIGN))
    assert_hidden(foreign, missing, ALICE)
    own = invoke("RedeemersFunction", with_account("apigw-get-redeemer", ALICE, CLIENT_CONTEXT))
    assert own["statusCode"] == 200


@pytest.mark.parametrize(
    ("user_id", "user_id_type"),
    [("5555555555554444", "BAN"), (ALICE, "RANAC")],
)
def test_search_by_card_number_or_ranac_is_404(demo, user_id, user_id_type):
    search = {"userId": user_id, "userIdType": user_id_type, "redemptionType": "PWR"}
    unknown = {**search, "userId": "5105105105105109" if user_id_type == "BAN" else NOBODY}
    foreign = invoke("RedeemersFunction", as_caller("apigw-search-redeemer", FOREIGN, body=search))
    missing = invoke("RedeemersFunction", as_caller("apigw-search-redeemer", FOREIGN, body=unknown))
    assert_hidden(foreign, missing, user_id)
    own = invoke("RedeemersFunction", as_caller("apigw-search-redeemer", CLIENT_CONTEXT, body=search))
    assert own["statusCode"] == 200


def test_preferences_read_and_write_are_404_and_change_nothing(demo):
    before = body(invoke("PreferencesFunction", load_event("apigw-get-preferences")))
    foreign = invoke("PreferencesFunction", with_account("apigw-get-preferences", ALICE, FOREIGN))
    missing = invoke("PreferencesFunction", with_account("apigw-get-preferences", NOBODY, FOREIGN))
    assert_hidden(foreign, missing, ALICE)

    foreign_put = invoke("PreferencesFunction", with_account("apigw-put-preferences", ALICE, FOREIGN))
    missing_put = invoke("PreferencesFunction", with_account("apigw-put-preferences", NOBODY, FOREIGN))
    assert_hidden(foreign_put, missing_put, ALICE)
    assert body(invoke("PreferencesFunction", load_event("apigw-get-preferences"))) == before


@pytest.mark.parametrize("queued", ["N", "Y"])
def test_authorization_for_another_programs_card_is_404_and_redeems_nothing(demo, queued):
    request = json.loads(load_event("apigw-post-authorization-sync")["body"])
    request["queueTransaction"] = queued
    foreign = invoke("AuthorizationsFunction", as_caller("apigw-post-authorization-sync", FOREIGN, body=request))
    unknown = {**request, "accountId": "5105105105105109", "externalId": "EXTUNKNOWN01"}
    missing = invoke("AuthorizationsFunction", as_caller("apigw-post-authorization-sync", FOREIGN, body=unknown))
    assert_hidden(foreign, missing, "5555555555554444")
    assert alice_balance() == "12000"
    sqs = demo.client("sqs")
    queue = sqs.receive_message(QueueUrl=demo.queues["AuthorizationQueue"], MaxNumberOfMessages=10)
    assert queue.get("Messages", []) == []


def test_authorization_history_of_another_programs_cardholder_is_404(demo):
    invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync"))
    history = as_caller("apigw-get-authorizations", FOREIGN)
    foreign = invoke("AuthorizationsFunction", history)
    unknown = as_caller("apigw-get-authorizations", FOREIGN)
    unknown["rawQueryString"] = unknown["rawQueryString"].replace(ALICE, NOBODY)
    unknown["queryStringParameters"]["user_id"] = NOBODY
    missing = invoke("AuthorizationsFunction", unknown)
    assert_hidden(foreign, missing, ALICE)
    own = invoke("AuthorizationsFunction", load_event("apigw-get-authorizations"))
    assert own["statusCode"] == 200 and len(body(own)) == 1


def carol_authorization() -> str:
    """A purchase Carol (PWR off) did not redeem, reprocessable by her own issuer only."""
    request = json.loads(load_event("apigw-post-authorization-sync")["body"])
    request.update(accountId="5200828282828210", externalId="EXTCAROL0001")
    created = invoke("AuthorizationsFunction", as_caller("apigw-post-authorization-sync", CLIENT_CONTEXT, body=request))
    assert created["statusCode"] == 200, created
    return str(body(created)[0]["id"])


def reprocess(caller: dict[str, str], target: str) -> dict[str, Any]:
    event = as_caller("apigw-post-reprocess", caller)
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/authorizations/{target}/reprocess"
    event["pathParameters"] = {"id": target}
    return invoke("ReprocessFunction", event)


def carol_profile() -> Any:
    return body(invoke("RedeemersFunction", with_account("apigw-get-redeemer", "RANACCAROL0001", CLIENT_CONTEXT)))


def test_reprocess_of_another_programs_authorization_is_404_and_redeems_nothing(demo):
    authorization_id = carol_authorization()
    before = carol_profile()
    foreign = reprocess(FOREIGN, authorization_id)
    assert foreign["statusCode"] == 404, foreign
    assert carol_profile() == before
    own = reprocess(CLIENT_CONTEXT, authorization_id)
    assert own["statusCode"] == 200, own
    assert carol_profile() != before  # the owner's reprocess redeems: the foreign one did not


def test_reprocess_answer_does_not_reveal_whether_the_authorization_exists(demo):
    authorization_id = carol_authorization()
    assert_hidden(reprocess(FOREIGN, authorization_id), reprocess(FOREIGN, "1234567890"), authorization_id)


class Calls:
    """Every DynamoDB and SSM call the functions make (operation and key), in order."""

    def __init__(self) -> None:
        from rewards import runtime

        self.made: list[tuple[str, str]] = []
        for service in ("dynamodb", "ssm"):
            runtime.aws_client(service).meta.events.register(f"before-call.{service}", self._record)

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        key = params.get("Key") or params.get("RequestItems") or params.get("Name") or ""
        self.made.append((model.name, "item" if key else ""))

    def during(self, event: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.made.clear()
        return invoke("RedeemersFunction", event), list(self.made)


def search(user_id: str, id_type: str, caller: dict[str, str]) -> dict[str, Any]:
    payload = {"userId": user_id, "userIdType": id_type, "redemptionType": "PWR"}
    return as_caller("apigw-search-redeemer", caller, body=payload)


@pytest.mark.parametrize(
    ("id_type", "existing", "nonexistent"),
    [
        ("BAN", "5555555555554444", "5105105105105109"),  # Alice's card, and a card nobody holds
        ("BCN", "BCN0001", "BCN9999"),
        ("RANAC", ALICE, NOBODY),
    ],
)
def test_a_foreign_cardholder_costs_exactly_the_reads_of_one_that_does_not_exist(demo, id_type, existing, nonexistent):
    calls = Calls()
    invoke("RedeemersFunction", search(nonexistent, id_type, FOREIGN))  # warm the caches (SSM key, clients)
    foreign, foreign_calls = calls.during(search(existing, id_type, FOREIGN))
    missing, missing_calls = calls.during(search(nonexistent, id_type, FOREIGN))
    assert_hidden(foreign, missing, existing)
    assert foreign_calls == missing_calls, (foreign_calls, missing_calls)
    own, own_calls = calls.during(search(existing, id_type, CLIENT_CONTEXT))
    assert own["statusCode"] == 200, own
    assert len(own_calls) > len(foreign_calls)  # the account itself is read only for its own client
