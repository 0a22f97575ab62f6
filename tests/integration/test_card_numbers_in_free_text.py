"""A card number typed into a free-text field, plain, spaced or dashed, is masked before anything
stores, publishes, answers or logs it; one sent as a key (externalId, an email address) is refused
with a 400 naming the field. Swept: every table item, the events topic, emails, queued webhook
deliveries, every answer and every log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from tools.apigw import http_event

from rewards.observability import logger
from tests.integration.test_card_numbers import everything_stored
from tests.integration.test_notifier import CLIENT, ERIN, PROGRAM, Channels, make_channels, purchase
from tests.support import body, invoke

PLAIN = "4111111111111111"
FORMS = {
    "plain": PLAIN,
    "spaced": "4111 1111 1111 1111",
    "dashed": "4111-1111-1111-1111",
    "amex spaced": "3782 822463 10005",
}
ISSUER = {"clientId": CLIENT, "programIds": PROGRAM, "role": "ISSUER"}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    handler = logger.registered_handler
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    level = logger.log_level
    logger.setLevel("DEBUG")
    yield stream
    logger.setLevel(level)
    handler.setStream(previous)  # type: ignore[attr-defined]


@pytest.fixture
def channels(stack: Any) -> Channels:
    return make_channels(stack)


def digits_in_clear(texts: list[str]) -> list[str]:
    """Any text that still holds one of the card numbers, in any of its forms or as bare digits."""
    numbers = {*FORMS.values(), PLAIN, "378282246310005"}
    flat = [text.replace(" ", "").replace("-", "") for text in texts]
    return [text[:160] for text, bare in zip(texts, flat, strict=True) for n in numbers if n in text or n in bare]


def authorize(fields: dict[str, Any], external_id: str) -> dict[str, Any]:
    request = {**purchase(ERIN, "20.00"), **fields, "externalId": external_id, "queueTransaction": "N"}
    return invoke("AuthorizationsFunction", http_event("POST", "/authorizations", body=request, authorizer=ISSUER))


@pytest.mark.parametrize("form", list(FORMS))
def test_card_numbers_in_free_text_are_masked_everywhere(channels, log_lines, caplog, form):
    caplog.set_level(logging.DEBUG)
    number = FORMS[form]
    answers = []
    fields = {
        "transactionCategoryCode": f"note {number} end",  # de048TCC
        "cardAcceptorNameAndLocation": f"SHOP {number}"[:40],
        "cardAcceptorIdCode": number[:15] if len(number.replace(" ", "")) == 15 else "MERCHANT0000001",
        "reserved": number,
        "originalDataElement": number,
    }
    response = authorize(fields, f"FREE{form[:3].upper()}01")
    assert response["statusCode"] == 200, response
    answers.append(response["body"])
    [result] = body(response)
    assert result["responseReasonId"] == "60"

    listed = invoke(
        "AuthorizationsFunction",
        http_event(
            "GET",
            "/authorizations",
            query={
                "user_id": ERIN,
                "from_date": str(date.today() - timedelta(days=30)),
                "to_date": str(date.today() + timedelta(days=1)),
                "include_reprocessed": "true",
            },
            authorizer=ISSUER,
        ),
    )
    assert listed["statusCode"] == 200, listed
    [record] = body(listed)
    assert record["de048TCC"] == "note ****1111 end" if form != "amex spaced" else "note ****0005 end"
    answers.append(listed["body"])

    assert channels.notify(channels.new_outbox_records()) == {"batchItemFailures": []}
    published = [json.dumps(event) for event in channels.events()]
    assert published
    deliveries = [message["Body"] for message in channels.webhook_messages()]
    assert deliveries
    from tools.local.streams import captured_emails

    emails = [mail.html + mail.text + mail.subject for mail in captured_emails()]

    logged = log_lines.getvalue().splitlines() + caplog.text.splitlines()
    assert logged
    assert digits_in_clear(answers) == []
    assert digits_in_clear(everything_stored(channels.stack)) == []
    assert digits_in_clear(published + deliveries + emails) == []
    assert digits_in_clear(logged) == []


@pytest.mark.parametrize("form", list(FORMS))
def test_a_card_number_as_an_external_id_is_refused_naming_the_field(channels, form):
    number = FORMS[form].replace(" ", "").replace("-", "")[:15]
    if len(number) < 15:
        pytest.skip("externalId holds at most 15 characters")
    response = authorize({}, "378282246310005")
    assert response["statusCode"] == 400, response
    [error] = body(response)["Errors"]["Error"]
    assert error["Details"] == "externalId"
    assert "378282246310005" not in response["body"]


def test_a_card_number_in_an_email_address_is_refused_naming_the_field(channels):
    event = http_event(
        "PUT",
        f"/redeemers/{ERIN}/preferences",
        route_key="PUT /redeemers/{id}/preferences",
        path_parameters={"id": ERIN},
        query={"redemption_type": "PWR"},
        body={"preferences": {"emailAddress": f"{PLAIN}@example.com"}},
        authorizer=ISSUER,
    )
    response = invoke("PreferencesFunction", event)
    assert response["statusCode"] == 400, response
    [error] = body(response)["Errors"]["Error"]
    assert error["Details"] == "preferences.emailAddress"
    assert PLAIN not in response["body"]


@pytest.mark.parametrize("form", list(FORMS))
def test_card_numbers_in_a_digital_redemption_are_masked_in_the_answer_the_history_and_the_tables(demo, form):
    number = FORMS[form]
    merchant = {"clientId": "demo-merchant", "programIds": "PWRDEMO,DRTRAVEL", "role": "MERCHANT"}
    request = {
        "redemptionType": "MERCHANDISE",
        "userId": "RANACALICE0001",
        "userIdType": "RANAC",
        "description": f"gift for card {number}",
        "items": [
            {
                "paymentOption": "POINTS_ONLY",
                "cashEquivalent": "5",
                "redemptionItemId": "19068",
                "description": f"item {number}",
            }
        ],
    }
    redeemed = invoke("RedemptionsFunction", http_event("POST", "/redemptions", body=request, authorizer=merchant))
    assert redeemed["statusCode"] == 200, redeemed
    redemption_id = body(redeemed)["items"][0]["redemptionId"]
    credit = http_event(
        "POST",
        f"/redemptions/{redemption_id}/credits",
        route_key="POST /redemptions/{id}/credits",
        path_parameters={"id": str(redemption_id)},
        body={"pointsCredited": 1, "description": f"refund to {number}"},
        authorizer=merchant,
    )
    credited = invoke("RedemptionsFunction", credit)
    assert credited["statusCode"] == 200, credited
    history = invoke(
        "RedemptionsFunction",
        http_event(
            "GET",
            "/redemptions",
            query={
                "user_id": "RANACALICE0001",
                "from_date": str(date.today() - timedelta(days=1)),
                "to_date": str(date.today() + timedelta(days=1)),
            },
            authorizer=merchant,
        ),
    )
    assert history["statusCode"] == 200, history
    descriptions = [entry.get("description") for entry in body(history)["redemptions"]]
    assert any(d and "****" in d for d in descriptions), descriptions
    assert digits_in_clear([redeemed["body"], credited["body"], history["body"]]) == []
    assert digits_in_clear(everything_stored(demo)) == []
