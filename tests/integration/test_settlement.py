"""Rebates end to end on moto: the recorder on the table's real stream, the settlement file in the
bucket, acknowledgements, and the reconciliation (docs/settlement.md)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from tools.apigw import http_event
from tools.local.streams import ledger_stream_arn, poll_stream_once
from tools.make_events import PURCHASE

from rewards import runtime
from rewards.settlement.reconciliation import reconcile
from rewards.settlement.records import RebateStatus
from tests.integration.dr_support import CASHBACK_USER, redeem, seed
from tests.support import Stack, body, invoke, ledger_of, load_event

ISSUER = {"clientId": "demo-issuer", "programIds": "PWRDEMO", "role": "ISSUER"}


class Rebates:
    """The demo stack, its stream fed to the rebate recorder, and the settlement use cases."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.positions: dict[str, str | None] = {}
        self.stream_arn = ledger_stream_arn(stack.client("dynamodb"), stack.ledger_table)
        self.bucket = stack.buckets["SettlementBucket"]

    def authorize(self, account: str, amount: str, external_id: str) -> dict[str, Any]:
        request = {
            **PURCHASE,
            "accountId": account,
            "accountIdType": "RANAC",
            "cardholderBillingAmount": amount,
            "externalId": external_id,
            "queueTransaction": "N",
        }
        response = invoke(
            "AuthorizationsFunction", http_event("POST", "/authorizations", body=request, authorizer=ISSUER)
        )
        assert response["statusCode"] == 200, response
        answer = dict(body(response)[0])
        stored = ledger_of(self.stack).authorization(answer["id"])  # the answer shows no amounts
        return {**answer, "cashBackAmount": str(stored.outcome.cash), "pointsRedeemed": str(stored.outcome.points)}

    def stream_records(self) -> list[dict[str, Any]]:
        streams = boto3.client(
            "dynamodbstreams", region_name="us-east-1", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com"
        )
        records, self.positions = poll_stream_once(streams, self.stream_arn, self.positions)
        return [r for r in records if r["eventName"] == "INSERT" and "eventType" in r["dynamodb"]["NewImage"]]

    def record(self, records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        records = self.stream_records() if records is None else records
        assert invoke("RebateRecorderFunction", {"Records": records}) == {"batchItemFailures": []}
        return records

    def service(self, now: datetime) -> Any:
        service = runtime.settlement_service()
        service.clock = lambda: now
        return service

    def rebates(self) -> dict[str, Any]:
        return {r.reference: r for r in runtime.settlement_service().store.everything()}

    def object_text(self, key: str) -> str:
        return str(self.stack.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read().decode())

    def drop_ack(self, name: str, text: str) -> dict[str, Any]:
        key = f"acks/{name}"
        self.stack.client("s3").put_object(Bucket=self.bucket, Key=key, Body=text.encode())
        event = load_event("s3-acknowledgement")
        event["Records"][0]["s3"]["bucket"]["name"] = self.bucket
        event["Records"][0]["s3"]["object"]["key"] = key
        return dict(invoke("RebateAcksFunction", event))


@pytest.fixture
def rebates(demo: Stack) -> Rebates:
    return Rebates(demo)


def tomorrow_after_grace() -> datetime:
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC) + timedelta(
        minutes=11
    )


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_redeemed_authorization_owes_one_rebate_whatever_the_stream_redelivers(rebates):
    answer = rebates.authorize("RANACBOB00001", "20.00", "REBATE000001")
    assert answer["responseReasonId"] == "60"
    records = rebates.record()
    rebates.record(records)  # the same batch again (a retried stream batch)
    [rebate] = rebates.rebates().values()
    assert rebate.reference == f"PWR-{answer['id']}" and rebate.status is RebateStatus.PENDING
    assert (rebate.cash, rebate.currency, rebate.client_id) == (Decimal(answer["cashBackAmount"]), "USD", "demo-issuer")
    assert rebate.account_id == "RANACBOB00001" and rebate.business_date == datetime.now(UTC).date()


def test_an_eligible_authorization_owes_nothing(rebates):
    answer = rebates.authorize("RANACCAROL0001", "20.00", "REBATE000002")  # PWR off
    assert answer["responseReasonId"] == "59"
    rebates.record()
    assert rebates.rebates() == {}


def test_the_cashback_event_file_records_its_line_only_once_it_is_committed(rebates):
    event = load_event("dynamodb-ledger-cashback-event")
    rebates.record(event["Records"])
    assert rebates.rebates() == {}  # the line is not in the table: nothing is owed
    image = event["Records"][0]["dynamodb"]["NewImage"]
    rebates.stack.client("dynamodb").put_item(TableName=rebates.stack.ledger_table, Item=image)
    rebates.record(event["Records"])
    [rebate] = rebates.rebates().values()
    assert (rebate.reference, rebate.source, rebate.beneficiary) == ("DR-2761148177", "DR_CASHBACK", "RANACALICE0001")
    assert rebate.cash == Decimal(25) and rebate.client_id == "demo-issuer"


def test_a_cashback_redemption_owes_its_cash_to_the_cashback_account(rebates):
    answer = redeem(seed("cashback"))
    assert answer["statusCode"] == 200, answer
    rebates.record()
    [rebate] = rebates.rebates().values()
    assert rebate.cash == Decimal("11.00") and rebate.beneficiary == CASHBACK_USER


def settle_today(rebates: Rebates) -> Any:
    return rebates.service(tomorrow_after_grace()).settle("demo-issuer", datetime.now(UTC).date())


def test_the_settlement_file_has_header_lines_trailer_and_its_manifest_hash(rebates):
    first = rebates.authorize("RANACBOB00001", "20.00", "REBATE000003")
    second = rebates.authorize("RANACBOB00001", "15.00", "REBATE000004")
    rebates.record()
    result = settle_today(rebates)
    text = rebates.object_text(result.file.object_key)
    header, *details, trailer = rows(text)
    assert header[:5] == ["H", "REBATES1", "demo-issuer", datetime.now(UTC).date().isoformat(), "1"]
    assert sorted(d[2] for d in details) == sorted([f"PWR-{first['id']}", f"PWR-{second['id']}"])
    total = Decimal(first["cashBackAmount"]) + Decimal(second["cashBackAmount"])
    assert trailer == ["T", "2", f"USD:{total}"]
    manifest = json.loads(rebates.object_text(result.file.object_key + ".manifest.json"))
    assert manifest["sha256"] == hashlib.sha256(text.encode()).hexdigest() and manifest["lines"] == 2
    assert {r.status for r in rebates.rebates().values()} == {RebateStatus.SENT}
    assert {r.file_id for r in rebates.rebates().values()} == {result.file.file_id}


def test_a_rerun_writes_the_identical_file_and_moves_nothing_a_late_rebate_waits_for_the_next(rebates):
    rebates.authorize("RANACBOB00001", "20.00", "REBATE000005")
    rebates.record()
    first = settle_today(rebates)
    text = rebates.object_text(first.file.object_key)
    late = rebates.authorize("RANACBOB00001", "17.00", "REBATE000006")
    rebates.record()
    again = settle_today(rebates)
    assert again.rerun and again.file == first.file
    assert rebates.object_text(first.file.object_key) == text  # the late rebate is not in it
    assert rebates.rebates()[f"PWR-{late['id']}"].status is RebateStatus.PENDING
    next_day = rebates.service(tomorrow_after_grace() + timedelta(days=1)).settle(
        "demo-issuer", datetime.now(UTC).date() + timedelta(days=1)
    )
    assert next_day.file.sequence == 2 and next_day.file.lines == 1
    assert rebates.rebates()[f"PWR-{late['id']}"].file_id == next_day.file.file_id


def test_a_day_is_not_settled_before_its_cut_off_and_grace(rebates):
    from rewards.settlement.service import DayNotClosed

    today = datetime.now(UTC).date()
    with pytest.raises(DayNotClosed):
        rebates.service(datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)).settle(
            "demo-issuer", today
        )


def ack_text(file_id: str, lines: list[str], client: str = "demo-issuer", count: int | None = None) -> str:
    body_lines = "".join(line + "\n" for line in lines)
    return f"H,ACK1,{client},{file_id}\n{body_lines}T,{len(lines) if count is None else count}\n"


def test_acknowledgements_post_and_reject_once_and_a_rejection_returns_the_points(rebates):
    posted = rebates.authorize("RANACBOB00001", "20.00", "REBATE000007")
    rejected = rebates.authorize("RANACBOB00001", "10.00", "REBATE000008")
    rebates.record()
    result = settle_today(rebates)
    pool_before = ledger_of(rebates.stack).pool("HH-DEMO-1").balance
    text = ack_text(
        result.file.file_id,
        [f"D,PWR-{posted['id']},POSTED", f"D,PWR-{rejected['id']},REJECTED,R03 account closed"],
    )
    answer = rebates.drop_ack("first.csv", text)
    assert answer["reports"][0]["APPLIED"] == 2 and answer["reports"][0]["REFUSED"] == 0
    again = rebates.drop_ack("first-again.csv", text)  # the issuer sends the same file twice
    assert again["reports"][0]["ALREADY_APPLIED"] == 2
    found = rebates.rebates()
    assert found[f"PWR-{posted['id']}"].status is RebateStatus.POSTED
    assert found[f"PWR-{rejected['id']}"].status is RebateStatus.REJECTED
    points = Decimal(rejected["pointsRedeemed"])
    assert ledger_of(rebates.stack).pool("HH-DEMO-1").balance == pool_before + points
    credits = [e for e in ledger_of(rebates.stack).pool_ledger("HH-DEMO-1").entries if e.source == "REBATE_REJECTED"]
    assert [(c.kind, c.points, c.reference) for c in credits] == [("CREDIT", points, f"PWR-{rejected['id']}")]
    report = rebates.object_text("reports/first.csv.report.csv")
    assert report.splitlines()[0] == "line,reference,result,detail" and report.count("APPLIED") == 2
    assert reconcile(runtime.settlement_service(), tomorrow_after_grace()).ok


def test_unknown_duplicate_and_foreign_lines_are_refused_line_by_line_and_never_applied(rebates):
    rebate = rebates.authorize("RANACBOB00001", "20.00", "REBATE000009")
    rebates.record()
    result = settle_today(rebates)
    lines = [f"D,PWR-{rebate['id']},POSTED", f"D,PWR-{rebate['id']},REJECTED", "D,PWR-0000000000,POSTED", "X,junk"]
    answer = rebates.drop_ack("mixed.csv", ack_text(result.file.file_id, lines))
    assert answer["reports"][0] == {**answer["reports"][0], "APPLIED": 1, "REFUSED": 3}
    foreign = rebates.drop_ack("foreign.csv", ack_text(result.file.file_id, [f"D,PWR-{rebate['id']},REJECTED"], "x"))
    assert foreign["reports"][0]["REFUSED"] == 1
    assert rebates.rebates()[f"PWR-{rebate['id']}"].status is RebateStatus.POSTED
    assert not [e for e in ledger_of(rebates.stack).pool_ledger("HH-DEMO-1").entries if e.source == "REBATE_REJECTED"]


def test_reconciliation_detects_a_deleted_and_an_altered_instruction(rebates):
    kept = rebates.authorize("RANACBOB00001", "20.00", "REBATE000010")
    gone = rebates.authorize("RANACBOB00001", "10.00", "REBATE000011")
    rebates.record()
    service = runtime.settlement_service()
    later = datetime.now(UTC) + timedelta(hours=1)
    assert reconcile(service, later).ok
    dynamodb, table = rebates.stack.client("dynamodb"), rebates.stack.ledger_table
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": f"REBATE#PWR-{gone['id']}"}, "sk": {"S": "REBATE"}})
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": f"REBATE#PWR-{kept['id']}"}, "sk": {"S": "REBATE"}},
        UpdateExpression="SET cash = :c",
        ExpressionAttributeValues={":c": {"N": "1"}},
    )
    found = reconcile(service, later)
    assert not found.ok
    assert any(f"PWR-{gone['id']}" in m and "no instruction" in m for m in found.mismatches)
    assert any(f"PWR-{kept['id']}" in m and "cash" in m for m in found.mismatches)


def test_the_scheduled_settlement_writes_yesterdays_file_once(rebates):
    from rewards.settlement.records import FileState

    answer = invoke("SettlementFunction", load_event("scheduler-settlement"))
    yesterday = date.today() - timedelta(days=1)
    assert [f["fileId"] for f in answer["files"]] == [f"demo-issuer-{yesterday:%Y%m%d}-000001"]
    assert invoke("SettlementFunction", load_event("scheduler-settlement")) == {"files": []}
    assert runtime.settlement_service().store.file_of_day("demo-issuer", yesterday).state is FileState.WRITTEN
    assert invoke("SettlementFunction", load_event("scheduler-reconciliation")) == {"mismatches": [], "overdue": []}
