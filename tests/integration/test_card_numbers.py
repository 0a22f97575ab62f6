"""Card numbers (BAN, primaryAccountNumber, accountNumber) never leave the request in clear: the main
flows run with Luhn-valid numbers, then every log line, table item, queue message and response body
is searched for them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from tools.apigw import http_event, sqs_event

from rewards.cardnumbers import luhn_valid
from rewards.observability import logger
from tests.support import CLIENT_CONTEXT, DEMO_CONFIG, body, invoke, load_config, load_event

DEMO_ALICE_BAN = "5555555555554444"  # config/demo.yaml: not Luhn-valid, so replaced here
ALICE_BAN = "5555555555554444"
CAROL_BAN = "5200828282828210"
PAN = "4111111111111111"
ACCOUNT_NUMBER = "6011000990139424"
STRANGER = "378282246310005"  # valid, but nobody's card
CARD_NUMBERS = (ALICE_BAN, CAROL_BAN, PAN, ACCOUNT_NUMBER, STRANGER)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything the Powertools logger writes, at DEBUG, through its own formatter."""
    handler = logger.registered_handler
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    level = logger.log_level
    logger.setLevel("DEBUG")
    yield stream
    logger.setLevel(level)
    handler.setStream(previous)  # type: ignore[attr-defined]


@pytest.fixture
def luhn_demo(stack: Any) -> Any:
    """The demo configuration with Alice's card number replaced by a Luhn-valid one."""
    text = DEMO_CONFIG.read_text()
    assert DEMO_ALICE_BAN in text
    load_config(stack, text=text.replace(DEMO_ALICE_BAN, ALICE_BAN))
    return stack


def authorization(**changes: Any) -> dict[str, Any]:
    request = json.loads(load_event("apigw-post-authorization-sync")["body"])
    request.update({"accountId": ALICE_BAN, "primaryAccountNumber": PAN, "accountNumber": ACCOUNT_NUMBER})
    request.update(changes)
    return request


def post(function: str, path: str, payload: Any) -> dict[str, Any]:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return invoke(function, http_event("POST", path, body=raw, authorizer=CLIENT_CONTEXT))


def everything_stored(stack: Any) -> list[str]:
    dynamodb = stack.client("dynamodb")
    found = []
    for name in stack.tables.values():
        for page in dynamodb.get_paginator("scan").paginate(TableName=name):
            found.extend(json.dumps(item) for item in page["Items"])
    return found


def queued_messages(stack: Any) -> list[str]:
    sqs = stack.client("sqs")
    bodies = []
    for url in stack.queues.values():
        response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        bodies.extend(message["Body"] for message in response.get("Messages", []))
    return bodies


def leaks(texts: list[str]) -> list[tuple[str, str]]:
    return [(number, text[:200]) for text in texts for number in CARD_NUMBERS if number in text]


def test_card_numbers_are_luhn_valid():
    assert all(luhn_valid(number) for number in CARD_NUMBERS)


def test_no_full_card_number_in_logs_tables_queues_or_responses(luhn_demo, log_lines, caplog):
    demo = luhn_demo
    caplog.set_level(logging.DEBUG)  # the libraries' own loggers (batch processor, botocore)
    responses = []

    sync = post("AuthorizationsFunction", "/authorizations", authorization(externalId="EXTPAN000001"))
    assert sync["statusCode"] == 200, sync
    queued = post(
        "AuthorizationsFunction",
        "/authorizations",
        authorization(accountId=CAROL_BAN, externalId="EXTPAN000002", queueTransaction="Y"),
    )
    assert queued["statusCode"] == 200, queued
    messages = queued_messages(demo)
    assert messages, "the queued authorization should be on the queue"

    network = json.loads(load_event("sqs-network-authorization")["Records"][0]["body"])
    network["authorization"].update(accountId=ALICE_BAN, primaryAccountNumber=PAN, accountNumber=ACCOUNT_NUMBER)
    batch = invoke("AuthProcessorFunction", sqs_event([*messages, json.dumps(network), "{not json " + PAN]))
    responses.append(json.dumps(batch))

    search = {"userId": ALICE_BAN, "userIdType": "BAN", "redemptionType": "PWR"}
    found = post("RedeemersFunction", "/redeemers/search", search)
    assert found["statusCode"] == 200, found
    unknown = post("RedeemersFunction", "/redeemers/search", {**search, "userId": STRANGER})
    assert unknown["statusCode"] == 404, unknown

    bad_inputs = [
        authorization(accountIdType="PAN"),
        authorization(accountId=ALICE_BAN * 2),  # too long: the message must not echo it
        authorization(merchantCategoryCode=PAN),
        authorization(transactionDateAndTime=PAN),
        authorization(processingCode=PAN),
        authorization(externalId=PAN + "!"),
        authorization(primaryAccountNumber=PAN + PAN),
        '{"accountId": "' + ALICE_BAN + '", ',  # invalid JSON
    ]
    for payload in bad_inputs:
        response = post("AuthorizationsFunction", "/authorizations", payload)
        assert response["statusCode"] == 400, response
        responses.append(response["body"])
    bad_search = post("RedeemersFunction", "/redeemers/search", {**search, "userIdType": ALICE_BAN})
    assert bad_search["statusCode"] == 400
    history = invoke("AuthorizationsFunction", load_event("apigw-get-authorizations"))
    assert history["statusCode"] == 200, history
    assert len(body(history)) >= 2  # the sync and the network authorization were both recorded

    responses += [r["body"] for r in (sync, queued, found, unknown, bad_search, history)]
    logged = log_lines.getvalue().splitlines()
    assert any("authorization processed" in line for line in logged), logged
    logged += caplog.text.splitlines()
    assert leaks(logged) == []
    assert leaks(responses) == []
    assert leaks(everything_stored(demo)) == []
    assert leaks(queued_messages(demo)) == []


def test_a_card_number_in_a_log_line_is_masked(log_lines):
    logger.info("looking up %s", ALICE_BAN, extra={"pan": PAN})
    line = log_lines.getvalue()
    assert ALICE_BAN not in line and PAN not in line
    assert "****4444" in line and "****1111" in line
