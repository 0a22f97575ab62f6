"""Settlement and acknowledgements under the real fault model: at every write, the answer of one
send is lost (the SDK re-sends) or of every send (the use case re-sends), with DynamoDB's token
window open and closed. Each run must end as a fault-free one: one file, each rebate in it once,
an identical rerun, each acknowledgement line applied once and answered APPLIED, the rejected
points credited once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tools import moto_idempotency

from rewards import runtime
from rewards.settlement.records import FileState, RebateStatus
from tests.integration.test_settlement import Rebates, ack_text
from tests.reliability import harness
from tests.reliability.lost_answers import ALL_SENDS, LostAnswers
from tests.support import Stack, committed_events, load_config

NOW = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC) + timedelta(minutes=11)
SETTLE_WRITES = 5  # number the file, claim three rebates, mark the file written
ACK_WRITES = 3  # post one, reject one (with its credit), the posted event


@pytest.fixture(params=["window-open", "window-closed"])
def tokens(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "window-closed":
        moto_idempotency.uninstall()
    yield str(request.param)
    moto_idempotency.install()


def three_pending(stack: Stack) -> tuple[Rebates, list[dict[str, Any]]]:
    load_config(stack)
    rebates = Rebates(stack)
    answers = [
        rebates.authorize("RANACBOB00001", amount, f"FAULT{n:07d}")
        for n, amount in enumerate(["20.00", "15.00", "12.00"])
    ]
    rebates.record()
    return rebates, answers


def settle(service: Any) -> Any:
    service.clock = lambda: NOW
    return service.settle("demo-issuer", datetime.now(UTC).date())


@pytest.mark.parametrize("mode", [1, ALL_SENDS], ids=["sdk", "app"])
@pytest.mark.parametrize("index", range(SETTLE_WRITES))
def test_a_lost_answer_at_any_settlement_write_leaves_one_file_with_each_rebate_once(stack, tokens, index, mode):
    rebates, answers = three_pending(stack)
    service = runtime.settlement_service()
    lost = LostAnswers().hook(runtime.aws_client("dynamodb"))
    lost.reset({index: mode})
    result = settle(service)
    assert lost.lost, lost.calls  # the fault happened
    assert len(lost.writes) >= SETTLE_WRITES
    lost.reset()
    text = rebates.object_text(result.file.object_key)
    assert result.file.state is FileState.WRITTEN and result.file.sequence == 1 and result.file.lines == 3
    assert result.file.sha256 == hashlib.sha256(text.encode()).hexdigest()
    found = rebates.rebates()
    assert {(r.status, r.file_id) for r in found.values()} == {(RebateStatus.SENT, result.file.file_id)}
    assert sorted(line.split(",")[2] for line in text.splitlines()[1:-1]) == sorted(f"PWR-{a['id']}" for a in answers)
    again = settle(service)
    assert again.rerun and again.file.sha256 == result.file.sha256
    assert len(committed_events(stack, "rebate.sent")) == 1


@pytest.mark.parametrize("mode", [1, ALL_SENDS], ids=["sdk", "app"])
@pytest.mark.parametrize("index", range(ACK_WRITES))
def test_a_lost_answer_at_any_acknowledgement_write_applies_each_line_once(stack, tokens, index, mode):
    rebates, answers = three_pending(stack)
    result = settle(runtime.settlement_service())
    before = harness.pool_state(stack, "HH-DEMO-1").balance
    lines = [f"D,PWR-{answers[0]['id']},POSTED", f"D,PWR-{answers[1]['id']},REJECTED,R03"]
    lost = LostAnswers().hook(runtime.aws_client("dynamodb"))
    lost.reset({index: mode})
    answer = rebates.drop_ack("faulted.csv", ack_text(result.file.file_id, lines))
    assert lost.lost, lost.calls
    lost.reset()
    assert answer["reports"][0]["APPLIED"] == 2 and answer["reports"][0]["REFUSED"] == 0, answer
    state = harness.pool_state(stack, "HH-DEMO-1")
    harness.assert_ledger_adds_up(state)
    assert state.balance == before + Decimal(answers[1]["pointsRedeemed"])
    assert [e["source"] for e in state.entries].count("REBATE_REJECTED") == 1
    assert len(committed_events(stack, "rebate.rejected")) == 1 and len(committed_events(stack, "rebate.posted")) == 1
    report = json.dumps(rebates.object_text("reports/faulted.csv.report.csv"))
    assert report.count("APPLIED") == 2
