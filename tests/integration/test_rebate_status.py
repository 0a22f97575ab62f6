"""GET /authorizations and GET /redemptions show where each owed rebate stands (docs/settlement.md,
"Rebate status in the listings"): PENDING before and after it is recorded, SENT with its file,
POSTED, REJECTED with the issuer's reason; nothing on what owes no rebate."""

from __future__ import annotations

from typing import Any

import pytest
from tools import provision
from tools.apigw import http_event
from tools.local.streams import captured_emails, captured_sms

from tests.integration.dr_support import CASHBACK_USER, credit, history, redeem, seed
from tests.integration.test_settlement import ISSUER, Rebates, ack_text, settle_today
from tests.support import Stack, body, invoke


@pytest.fixture
def rebates(demo: Stack) -> Rebates:
    ses = demo.client("ses")  # the sender identity and the email templates, as the local stack makes them
    provision.create_email_identities(ses, demo.resolver)
    provision.create_email_templates(ses, demo.resolver)
    return Rebates(demo)


def listed(account: str) -> dict[str, dict[str, Any]]:
    query = {  # the purchases are dated by the network's transactionDateAndTime (2026-11-20)
        "user_id": account,
        "from_date": "2026-11-01",
        "to_date": "2026-11-30",
        "include_reprocessed": "false",
    }
    response = invoke("AuthorizationsFunction", http_event("GET", "/authorizations", query=query, authorizer=ISSUER))
    assert response["statusCode"] == 200, response
    return {a["id"]: a for a in body(response)}


def test_a_redeemed_authorization_shows_its_rebate_from_owed_to_posted_or_rejected(rebates):
    posted = rebates.authorize("RANACBOB00001", "20.00", "STATUS000001")
    rejected = rebates.authorize("RANACBOB00001", "10.00", "STATUS000002")
    assert listed("RANACBOB00001")[posted["id"]]["rebate"] == {"status": "PENDING"}  # owed, not yet recorded
    rebates.record()
    assert listed("RANACBOB00001")[posted["id"]]["rebate"] == {"status": "PENDING"}
    file_id = settle_today(rebates).file.file_id
    sent = listed("RANACBOB00001")
    assert sent[posted["id"]]["rebate"] == sent[rejected["id"]]["rebate"] == {"status": "SENT", "fileId": file_id}
    lines = [f"D,PWR-{posted['id']},POSTED", f"D,PWR-{rejected['id']},REJECTED,R03 account closed"]
    rebates.drop_ack("status.csv", ack_text(file_id, lines))
    after = listed("RANACBOB00001")
    assert after[posted["id"]]["rebate"] == {"status": "POSTED", "fileId": file_id}
    assert after[rejected["id"]]["rebate"] == {"status": "REJECTED", "fileId": file_id, "reason": "R03 account closed"}


def test_an_authorization_that_redeemed_nothing_shows_no_rebate(rebates):
    eligible = rebates.authorize("RANACCAROL0001", "20.00", "STATUS000003")  # PWR off: 59
    rebates.record()
    assert "rebate" not in listed("RANACCAROL0001")[eligible["id"]]


def test_a_cashback_line_shows_its_rebate_and_its_credit_shows_none(rebates):
    created = redeem(seed("cashback"))
    assert created["statusCode"] == 200, created
    redemption_id = body(created)["items"][0]["redemptionId"]
    rebates.record()
    [line] = body(history(CASHBACK_USER))["redemptions"]
    assert line["rebate"] == {"status": "PENDING"}
    file_id = settle_today(rebates).file.file_id
    assert body(history(CASHBACK_USER))["redemptions"][0]["rebate"] == {"status": "SENT", "fileId": file_id}
    assert credit(redemption_id, {"pointsCredited": 1})["statusCode"] == 200
    entries = body(history(CASHBACK_USER))["redemptions"]
    assert {e["entryType"]: "rebate" in e for e in entries} == {"CREDIT": False, "REDEMPTION": True}


def test_a_merchandise_line_owes_no_rebate(rebates):
    from tests.integration.dr_support import MERCHANDISE_USER

    assert redeem(seed("merchandise"))["statusCode"] == 200
    rebates.record()
    [line] = body(history(MERCHANDISE_USER))["redemptions"]
    assert "rebate" not in line


def reject_alices_rebate(rebates: Rebates) -> dict[str, Any]:
    """Alice (email on) redeems, the day is settled, and the issuer rejects her rebate."""
    answer = rebates.authorize("RANACALICE0001", "20.00", "STATUS000004")
    assert answer["responseReasonId"] == "60"
    rebates.record()
    file_id = settle_today(rebates).file.file_id
    rebates.stream_records()  # what the notifier already told (the redemption, the file)
    ack = ack_text(file_id, [f"D,PWR-{answer['id']},REJECTED,R03 account closed"])
    assert rebates.drop_ack("alice.csv", ack)["reports"][0]["APPLIED"] == 1
    return answer


def test_a_rejected_rebate_emails_the_cardholder_once_with_the_points_returned(rebates):
    answer = reject_alices_rebate(rebates)
    records = rebates.stream_records()
    assert [r["dynamodb"]["NewImage"]["eventType"]["S"] for r in records] == ["rebate.rejected"]
    assert invoke("NotifierFunction", {"Records": records}) == {"batchItemFailures": []}
    assert invoke("NotifierFunction", {"Records": records}) == {"batchItemFailures": []}  # redelivered
    [mail] = [m for m in captured_emails() if m.data.get("reference") == f"PWR-{answer['id']}"]
    assert mail.to == ["alice@example.com"]
    assert mail.data["reason"] == "R03 account closed" and mail.data["lastFour"] == "4444"
    assert f"returned the {answer['pointsRedeemed'].split('.')[0]}" in mail.text.replace(",", "")
    assert "5555555555554444" not in mail.text + mail.html + mail.subject
    assert not captured_sms()


def test_a_rejected_rebate_sends_no_email_when_the_program_switch_is_off(rebates, monkeypatch):
    from rewards import runtime

    program = runtime.config_store().program("PWRDEMO")
    assert program is not None
    switched = program.model_copy(update={"emails": program.emails.model_copy(update={"rebateRejected": False})})
    monkeypatch.setattr(type(runtime.config_store()), "program", lambda self, pid: switched)
    reject_alices_rebate(rebates)
    records = rebates.stream_records()
    assert invoke("NotifierFunction", {"Records": records}) == {"batchItemFailures": []}
    assert not [m for m in captured_emails() if "reference" in m.data]  # only the rebate email has one
