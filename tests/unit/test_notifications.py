"""Pure notification rules: which communication an outcome owes, who gets it, content, signatures."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from pydantic import ValidationError

from rewards.domain import CardholderPreferences
from rewards.events import EVENT
from rewards.models.config import Client, Program, Webhook
from rewards.notifications.rendering import SMS_LIMIT, points_text, rebate_data, sms_text, template_data
from rewards.notifications.routing import (
    Channel,
    CommunicationKind,
    cardholder_deliveries,
    communication_kind,
    plan,
    webhook_clients,
)
from rewards.notifications.signing import signature, verify
from rewards.notifications.webhooks import retry_delay

PAN = "5555555555554444"  # not Luhn-valid: the log mask would keep it, the notification mask does not


def event(client_id: str | None = "issuer-a", event_type: str = "pwr.authorization.processed", **data: object):
    if event_type == "dr.redemption.created":
        payload: dict[str, object] = {
            "id": "R1",
            "redemptionType": "MERCHANDISE",
            "accountId": "RANAC1",
            "lastFour": "4444",
            "redemptionIds": [1234567890],
            "pointsRedeemed": "100",
            "cashEquivalent": "1",
            "currencyCode": "USD",
            "pointBalance": "900",
            "occurredAt": "2026-11-20T18:45:10.000000Z",
        }
        return EVENT.validate_python(
            {
                "eventId": "e-1",
                "eventType": event_type,
                "occurredAt": "2026-11-20T18:45:10Z",
                "programId": "P1",
                "clientId": client_id,
                "data": payload,
            }
        )
    payload = {
        "authorizationId": "A1B2C3D4E5",
        "externalId": "EXT1",
        "origin": "CLIENT" if client_id else "NETWORK",
        "programId": "P1",
        "authRewardsServiceType": "PWR",
        "responseReasonDesc": "Redeemed",
        "partiallyRedeemed": False,
        "accountId": "RANAC1",
        "lastFour": "4444",
        "responseReasonId": "60",
        "detail": "REDEEMED_FULL",
        "pwrOn": True,
        "pointsRedeemed": "10000",
        "cashBackAmount": "100",
        "totalPointsRequired": "10000",
        "pointBalance": "2000",
        "amount": "100.00",
        "currency": "USD",
        "merchant": "ELECTRONICS STORE",
        "occurredAt": "2026-11-20T18:45:10.000000Z",
        **data,
    }
    return EVENT.validate_python(
        {
            "eventId": "e-1",
            "eventType": event_type,
            "occurredAt": "2026-11-20T18:45:10Z",
            "programId": "P1",
            "clientId": client_id,
            "data": payload,
        }
    )


def program(**emails: bool) -> Program:
    return Program.model_validate(
        {
            "programId": "P1",
            "programName": "Demo Rewards",
            "pointsName": "Demo Points",
            "currencyCode": "USD",
            "filters": {"minPurchaseAmount": "5.00"},
            "baseConversion": {"tiers": [{"fromAmount": "0", "costPerPoint": "0.01"}]},
            "emails": emails,
        }
    )


def client(client_id: str, role: str = "ISSUER", programs: tuple[str, ...] = ("P1",), enabled: bool = True) -> Client:
    return Client.model_validate(
        {
            "clientId": client_id,
            "name": client_id,
            "role": role,
            "programIds": list(programs),
            "webhook": {"url": "https://hooks.example.com/x", "secretParameterName": "/s/x", "enabled": enabled},
        }
    )


EMAIL_AND_SMS = CardholderPreferences(
    receiveEmailSw=True, emailAddress="a@example.com", receiveSMSSw=True, smsNumber="+15555550100"
)


# -- which communication ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"responseReasonId": "60", "detail": "REDEEMED_PARTIAL"}, CommunicationKind.SUCCESSFUL_REDEMPTION),
        ({"responseReasonId": "72", "detail": "INSUFFICIENT_POINTS"}, CommunicationKind.INSUFFICIENT_BALANCE),
        ({"responseReasonId": "72", "detail": "BELOW_REDEMPTION_MINIMUM"}, CommunicationKind.INSUFFICIENT_BALANCE),
        ({"responseReasonId": "70", "detail": "BELOW_PROGRAM_MINIMUM"}, CommunicationKind.BELOW_PROGRAM_THRESHOLD),
        ({"responseReasonId": "70", "detail": "MCC_FILTER"}, None),
        ({"responseReasonId": "59", "detail": "BELOW_CARDHOLDER_THRESHOLD"}, None),
        ({"responseReasonId": "72", "detail": "INSUFFICIENT_POINTS", "pwrOn": False}, None),
        ({"responseReasonId": "70", "detail": "BELOW_PROGRAM_MINIMUM", "pwrOn": False}, None),
    ],
)
def test_communication_kind_follows_the_seed(data, expected):
    assert communication_kind(event(**data)) is expected


def test_dr_events_reach_only_the_topic():
    dr = event(event_type="dr.redemption.created")
    assert communication_kind(dr) is None
    assert [d.channel for d in plan(dr, program(), EMAIL_AND_SMS, [client("issuer-a")])] == [Channel.EVENT]


def rejected_rebate(reason: str | None = "R03 account closed"):
    return EVENT.validate_python(
        {
            "eventId": "e-2",
            "eventType": "rebate.rejected",
            "occurredAt": "2026-11-21T09:00:00Z",
            "programId": "P1",
            "data": {
                "reference": "PWR-A1B2C3D4E5",
                "fileId": "F1",
                "accountId": "RANAC1",
                "lastFour": "4444",
                "cashAmount": "12.50",
                "currency": "USD",
                "pointsCredited": "1250",
                "pointBalance": "3250",
                "reason": reason,
                "occurredAt": "2026-11-21T09:00:00Z",
            },
        }
    )


def test_a_rejected_rebate_is_told_by_email_only_and_its_switch_stops_it():
    rejected = rejected_rebate()
    assert communication_kind(rejected) is CommunicationKind.REBATE_REJECTED
    channels = [d.channel for d in plan(rejected, program(), EMAIL_AND_SMS, [client("issuer-a")])]
    assert channels == [Channel.EVENT, Channel.EMAIL]  # no SMS, no Auth Notifier webhook
    assert cardholder_deliveries(CommunicationKind.REBATE_REJECTED, program(rebateRejected=False), EMAIL_AND_SMS) == []


def test_rebate_email_data_shows_cash_points_reason_and_never_a_card_number():
    values = rebate_data(rejected_rebate(reason=f"card {PAN} closed"), program())
    assert (values["cashAmount"], values["pointsCredited"], values["pointBalance"]) == ("12.50 USD", "1,250", "3,250")
    assert PAN not in values["reason"] and values["reason"].endswith("4444 closed")
    assert rebate_data(rejected_rebate(reason=None), program())["reason"] == "not given"


# -- switches ----------------------------------------------------------------------------------------
def test_program_switch_off_stops_both_cardholder_channels_of_that_kind_only():
    off = program(successfulRedemption=False)
    assert cardholder_deliveries(CommunicationKind.SUCCESSFUL_REDEMPTION, off, EMAIL_AND_SMS) == []
    kept = cardholder_deliveries(CommunicationKind.INSUFFICIENT_BALANCE, off, EMAIL_AND_SMS)
    assert [d.channel for d in kept] == [Channel.EMAIL, Channel.SMS]


@pytest.mark.parametrize(
    ("prefs", "channels"),
    [
        (CardholderPreferences(receiveEmailSw=False, emailAddress="a@example.com"), []),
        (CardholderPreferences(receiveEmailSw=True, emailAddress=None), []),
        (CardholderPreferences(receiveSMSSw=True, smsNumber=None), []),
        (CardholderPreferences(receiveSMSSw=True, smsNumber="+15555550100"), [Channel.SMS]),
    ],
)
def test_cardholder_switch_and_a_known_address_are_both_needed(prefs, channels):
    found = cardholder_deliveries(CommunicationKind.SUCCESSFUL_REDEMPTION, program(), prefs)
    assert [d.channel for d in found] == channels


# -- the Auth Notifier's clients -----------------------------------------------------------------------
def test_client_origin_notifies_that_client_only():
    clients = [client("issuer-a"), client("issuer-b")]
    assert [c.clientId for c in webhook_clients(event("issuer-a"), clients)] == ["issuer-a"]


def test_network_copy_notifies_every_issuer_of_the_program_with_an_enabled_webhook():
    clients = [
        client("issuer-a"),
        client("issuer-off", enabled=False),
        client("merchant", role="MERCHANT"),
        client("other-program", programs=("P2",)),
        client("issuer-b"),
    ]
    assert [c.clientId for c in webhook_clients(event(None), clients)] == ["issuer-a", "issuer-b"]


def test_plan_markers_are_unique_per_channel_and_client():
    deliveries = plan(event(None), program(), EMAIL_AND_SMS, [client("issuer-a"), client("issuer-b")])
    assert [d.marker for d in deliveries] == ["event", "email", "sms", "webhook#issuer-a", "webhook#issuer-b"]


# -- content -----------------------------------------------------------------------------------------
def test_template_data_formats_points_and_money_and_never_shows_a_card_number():
    values = template_data(
        CommunicationKind.SUCCESSFUL_REDEMPTION, event(merchant=f"SHOP {PAN} PARIS", lastFour=PAN), program()
    )
    assert values["pointsRedeemed"] == "10,000" and values["pointBalance"] == "2,000"
    assert values["cashBack"] == "100.00 USD" and values["amount"] == "100.00 USD"
    assert values["minimumPurchase"] == "5.00 USD"
    assert values["lastFour"] == "4444"
    assert all(PAN not in value for value in values.values())
    assert values["date"] == "2026-11-20"


def test_fractional_points_keep_their_decimals():
    assert points_text(Decimal("12.50")) == "12.50"
    assert points_text("1E+4") == "10,000"


@pytest.mark.parametrize("kind", list(CommunicationKind))
def test_sms_is_short_and_carries_amount_merchant_and_last_four(kind):
    values = template_data(kind, event(merchant="A VERY LONG MERCHANT NAME THAT GOES ON AND ON"), program())
    text = sms_text(kind, values)
    assert len(text) <= SMS_LIMIT
    assert "Demo Rewards" in text and "4444" in text and "A VERY LONG MERCHANT" in text
    assert PAN not in text


# -- signatures and back-off ------------------------------------------------------------------------
def test_signature_verifies_and_refuses_tampering_other_secrets_and_stale_timestamps():
    secret, body, now = b"s3cret", b'{"id":"A1"}', time.time()
    stamp = str(int(now))
    signed = signature(secret, stamp, body)
    assert len(signed) == 64
    assert verify(secret, stamp, body, signed, now=now)
    assert not verify(secret, stamp, b'{"id":"A2"}', signed, now=now)
    assert not verify(b"other", stamp, body, signed, now=now)
    assert not verify(secret, str(int(now) - 301), body, signature(secret, str(int(now) - 301), body), now=now)
    assert not verify(secret, "not-a-number", body, signed, now=now)
    assert signature(secret, stamp, body) != signature(secret, str(int(now) + 1), body)  # the time is signed


def test_retry_delay_doubles_from_the_base_and_is_capped():
    assert [retry_delay(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]
    assert retry_delay(3, base=0) == 0


# -- configuration -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.com/pwr", True),
        ("http://127.0.0.1:3100/auth-notifications", True),
        ("http://localhost:3100/x", True),
        ("http://hooks.example.com/pwr", False),
        ("ftp://hooks.example.com/pwr", False),
    ],
)
def test_webhook_url_must_be_https_except_on_this_machine(url, ok):
    if ok:
        Webhook(url=url, secretParameterName="/rewards/dev/webhooks/x")
    else:
        with pytest.raises(ValidationError, match="url"):
            Webhook(url=url, secretParameterName="/rewards/dev/webhooks/x")


def test_event_attributes_leave_out_an_unknown_client():
    assert event(None).attributes() == {
        "eventType": "pwr.authorization.processed",
        "programId": "P1",
        "schemaVersion": "1",
    }
