"""The ledger invariant command (tools.check_ledger) against the moto stack."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from tools import target
from tools.check_ledger import check, main

from rewards import runtime
from rewards.domain import PointPool
from rewards.records import LedgerEntry, PoolLedger
from rewards.services.ledger_check import audit_ledger, audit_pool
from tests.integration.dr_support import credit, redeem, seed
from tests.integration.test_external_bank_ledger import POOL, document
from tests.support import body, invoke, load_config, load_event


def run_check() -> tuple[int, str]:
    out = io.StringIO()
    status = check(runtime.ledger(), out)
    return status, out.getvalue()


def tamper(stack, pool_id: str, expression: str, values: dict) -> None:
    stack.client("dynamodb").update_item(
        TableName=stack.ledger_table,
        Key={"pk": {"S": f"POOL#{pool_id}"}, "sk": {"S": "POOL"}},
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
    )


def test_clean_ledger_after_redemptions_and_a_credit_passes(demo):
    assert (
        body(invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync")))[0]["responseReasonId"]
        == "60"
    )
    line = {"paymentOption": "POINTS_ONLY", "pointsRedeemed": 500, "redemptionItemId": "19068"}
    redeemed = body(redeem({**seed("points-only"), "userId": "RANACALICE0001", "items": [line]}))
    credited = credit(redeemed["items"][0]["redemptionId"], {"pointsCredited": 250})
    assert credited["statusCode"] == 200, credited

    audits = {audit.pool_id: audit for audit in audit_ledger(runtime.ledger())}
    assert {"HH-DEMO-1", "RANACCAROL0001"} <= set(audits)
    assert all(audit.ok for audit in audits.values())
    assert audits["HH-DEMO-1"].balance == Decimal(12000 - 10000 - 500 + 250)
    status, output = run_check()
    assert status == 0
    assert f"checked {len(audits)} pool(s): 0 bad" in output


def test_tampered_balance_is_reported_and_exits_1(demo):
    invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync"))
    tamper(demo, "HH-DEMO-1", "SET balance = balance + :n", {":n": {"N": "500"}})

    status, output = run_check()
    assert status == 1
    [bad_line] = [line for line in output.splitlines() if line.startswith("BAD")]
    assert "HH-DEMO-1" in bad_line and "balance 2500" in bad_line
    assert "RANACCAROL0001" not in output.split("checked")[0]


def test_running_totals_that_disagree_with_entries_are_reported(demo):
    tamper(demo, "RANACCAROL0001", "SET totalDebits = :n", {":n": {"N": "1"}})
    status, output = run_check()
    assert status == 1
    assert "BAD pool RANACCAROL0001" in output and "totalDebits 1" in output


def test_command_line_reads_the_local_prefix_table(demo, capsys, monkeypatch):
    monkeypatch.setattr(target, "LOCAL_ENDPOINT", None)  # the tests' in-process moto, not make run's server
    assert main(["--local-prefix", "test"]) == 0
    tamper(demo, "RANACCAROL0001", "SET balance = :n", {":n": {"N": "7649"}})
    assert main(["--local-prefix", "test"]) == 1
    assert "BAD pool RANACCAROL0001" in capsys.readouterr().out


def pool_ledger(balance: int, opening: int, debits: int, credits: int, *entries: tuple[str, int]) -> PoolLedger:
    pool = PointPool("P1", Decimal(balance), Decimal(opening), "PWRDEMO")
    found = [
        LedgerEntry(str(n), kind, Decimal(points), "TEST", "ref", "A1") for n, (kind, points) in enumerate(entries)
    ]
    return PoolLedger(pool, Decimal(debits), Decimal(credits), found)  # type: ignore[arg-type]


def test_negative_balance_is_a_problem_even_when_the_sums_agree():
    audit = audit_pool("P1", pool_ledger(-5, -5, 0, 0))
    assert audit.problems == ("balance -5 is negative",)


def test_entries_are_summed_by_kind():
    ledger = pool_ledger(80, 100, 30, 10, ("DEBIT", 30), ("CREDIT", 10))
    assert audit_pool("P1", ledger).ok
    assert not audit_pool("P1", pool_ledger(80, 100, 30, 10, ("DEBIT", 30))).ok  # a missing credit breaks every sum


def test_a_pool_mirroring_a_point_bank_is_checked_for_its_totals_and_sign_only():
    mirrored = pool_ledger(7000, 0, 3000, 0, ("DEBIT", 3000))  # the bank's balance after a debit
    assert not audit_pool("P1", mirrored).ok
    assert audit_pool("P1", mirrored, mirrored=True).ok
    wrong_totals = pool_ledger(7000, 0, 1, 0, ("DEBIT", 3000))
    assert audit_pool("P1", wrong_totals, mirrored=True).problems == ("totalDebits 1 != sum of DEBIT entries 3000",)
    assert audit_pool("P1", pool_ledger(-1, 0, 0, 0), mirrored=True).problems == ("balance -1 is negative",)


def test_the_command_reads_which_programs_a_point_bank_holds(stack, capsys, monkeypatch):
    monkeypatch.setattr(target, "LOCAL_ENDPOINT", None)
    load_config(stack, text=json.dumps(document("http://127.0.0.1:9/point-bank/v1")))
    tamper(stack, POOL, "SET balance = :n", {":n": {"N": "41000"}})  # the mirror of the bank's balance
    assert main(["--local-prefix", "test"]) == 0
    assert "checked 1 pool(s): 0 bad (1 mirror a point bank" in capsys.readouterr().out
    assert check(runtime.ledger(), io.StringIO()) == 1  # without the programs, the mirror is a bad balance
