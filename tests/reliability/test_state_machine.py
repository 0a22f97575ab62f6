"""Model-based test: random sequences of network and API authorizations, preference changes,
reprocesses, redeliveries, Digital Redemptions and their credits, and rebates the issuer rejects
(their points come back), against one household, with the ledger invariants checked after every
step. One moto stack per test; every example starts from an empty ledger table and loads a fresh
household.

Every step that writes may meet a fault at any of its writes: the answer of one send lost (the
SDK re-sends), every answer lost (the function re-sends), or the function dying right after the
commit (the client or SQS sends the request again). The step must still answer as without it.

    HYPOTHESIS_MAX_EXAMPLES=10000 .venv/bin/pytest tests/reliability/test_state_machine.py   # long run
"""

from __future__ import annotations

import itertools
import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from rewards import runtime
from rewards.settlement.records import RebateStatus
from tests.reliability import harness
from tests.reliability.lost_answers import ALL_SENDS, Crash, LostAnswers
from tests.support import body, committed_events, invoke, load_event

MAX_EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "300"))
# The suite's run draws the same examples every time, so that its coverage checks below cannot pass
# on one machine and fail on the next; a long run (HYPOTHESIS_MAX_EXAMPLES set) draws fresh ones.
DERANDOMIZE = "HYPOTHESIS_MAX_EXAMPLES" not in os.environ
STEPS = int(os.environ.get("HYPOTHESIS_STEPS", "12"))
REPROCESSABLE = {"59", "72"}
REBATE_DAYS = 7  # a file takes the PENDING rebates of its day and the client's 7 late days before it

accounts = st.sampled_from(["alice", "bob", "carol"])
amounts = st.one_of(
    st.sampled_from([Decimal("0.50"), Decimal("10.00"), Decimal("100.00"), Decimal("250.00")]),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("800.00"), places=2),
)
preferences = st.fixed_dictionaries(
    {"redemptionFrequency": st.sampled_from(["OFF", "SNGL", "MULT"])},
    optional={
        "minAccountPurchaseThreshold": st.sampled_from([5, 50, 150]),
        "fixedAccountRedemptionAmount": st.sampled_from([10, 40, 75]),
    },
)
faults = st.sampled_from(["none", "none", "none", "sdk", "app", "client"])
writes = st.integers(min_value=0, max_value=3)  # which write of the step meets the fault
_references = itertools.count(1)
REACHED: Counter[str] = Counter()  # proof that the run exercised the interesting paths


class LedgerMachine(RuleBasedStateMachine):
    stack: Any = None
    lost: LostAnswers | None = None
    crash: Crash | None = None

    def send(self, function: str, event: dict[str, Any], fault: str = "none", write: int = 0) -> dict[str, Any]:
        """Invoke a function, with ``fault`` at its ``write``-th write (counted from 0)."""
        assert self.lost is not None and self.crash is not None
        self.lost.reset({write: 1 if fault == "sdk" else ALL_SENDS} if fault in ("sdk", "app") else {})
        if fault == "client":
            self.crash.at = write
            try:
                invoke(function, json.loads(json.dumps(event)))
            except SystemExit:
                REACHED["client re-sent after a crash"] += 1
            self.crash.at = None
            self.lost.reset()
        answer = invoke(function, event)
        if self.lost.lost:
            REACHED[f"lost answers ({fault})"] += 1
        self.lost.reset()
        return answer

    def __init__(self) -> None:
        super().__init__()
        self.household: harness.Household | None = None
        self.deliveries: list[tuple[str, Any, Any]] = []  # (kind, event, first answer)
        self.reprocessed: list[tuple[str, str]] = []
        self.redeemed: dict[str, Decimal] = {}  # DR redemptionId -> points it took
        self.credited: Counter[str] = Counter()  # DR redemptionId -> points credited back
        self.rejected: dict[str, Decimal] = {}  # rebate reference -> points its rejection returned

    def balance(self) -> Decimal:
        assert self.household is not None
        return harness.pool_state(self.stack, self.household.pool_id).balance

    def account(self, name: str) -> str:
        assert self.household is not None
        return str(getattr(self.household, name))

    @initialize(opening=st.integers(min_value=0, max_value=60_000), partial=st.booleans())
    def new_household(self, opening: int, partial: bool) -> None:
        harness.empty_ledger(self.stack)
        self.household = harness.new_household(self.stack, Decimal(opening), partial=partial)

    @rule(name=accounts, amount=amounts, fault=faults, write=writes)
    def network_authorization(self, name: str, amount: Decimal, fault: str, write: int) -> None:
        event = harness.network_event(harness.network_message(self.account(name), amount, f"SM{next(_references)}"))
        answer = self.send("AuthProcessorFunction", event, fault, write)
        assert answer == {"batchItemFailures": []}, answer
        self.deliveries.append(("NETWORK", event, answer))

    @rule(name=accounts, amount=amounts, fault=faults, write=writes)
    def api_authorization(self, name: str, amount: Decimal, fault: str, write: int) -> None:
        event = harness.post_authorization(self.account(name), amount, f"SM{next(_references)}")
        response = self.send("AuthorizationsFunction", event, fault, write)
        assert response["statusCode"] == 200, response
        self.deliveries.append(("API", event, body(response)))

    @precondition(lambda self: self.deliveries)
    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        kind, delivered, first = data.draw(st.sampled_from(self.deliveries))
        REACHED["redelivered"] += 1
        if kind == "NETWORK":
            assert invoke("AuthProcessorFunction", delivered) == first
        else:
            response = invoke("AuthorizationsFunction", delivered)
            assert response["statusCode"] == 200 and body(response) == first, (response, first)

    @rule(name=accounts, prefs=preferences, fault=faults, write=writes)
    def change_preferences(self, name: str, prefs: dict[str, Any], fault: str, write: int) -> None:
        response = self.send("PreferencesFunction", harness.put_preferences(self.account(name), prefs), fault, write)
        assert response["statusCode"] == 200, response
        assert body(response)["redemptionFrequency"] == prefs["redemptionFrequency"]

    @rule(data=st.data(), fault=faults, write=writes)
    def reprocess(self, data: st.DataObject, fault: str, write: int) -> None:
        assert self.household is not None
        _, records = harness.household_snapshot(self.stack, self.household)
        # creation order (SM<n>), not the random authorization ids: a replayed example must draw alike
        candidates = sorted(
            (
                item
                for item in records
                if item["record"]["responseReasonId"] in REPROCESSABLE and "reprocessId" not in item["record"]
            ),
            key=lambda item: int(item["record"]["externalId"].removeprefix("SM")),
        )
        if not candidates:
            return
        chosen = data.draw(st.sampled_from(candidates))
        auth_id, account_id = chosen["record"]["id"], chosen["accountId"]
        response = self.send("ReprocessFunction", harness.post_reprocess(auth_id, account_id), fault, write)
        assert response["statusCode"] in {200, 422}, response  # 422: not redeemable with today's balance
        if response["statusCode"] == 200:
            self.reprocessed.append((auth_id, account_id, body(response)))
            REACHED["reprocessed"] += 1

    @precondition(lambda self: self.reprocessed)
    @rule(data=st.data(), same=st.booleans())
    def reprocess_again(self, data: st.DataObject, same: bool) -> None:
        auth_id, account_id, first = data.draw(st.sampled_from(self.reprocessed))
        event = harness.post_reprocess(auth_id, account_id, processed_by="RELTEST" if same else "OTHER")
        response = invoke("ReprocessFunction", event)
        if same:  # the same request again: its first answer
            assert response["statusCode"] == 200 and body(response) == first, (response, first)
            return
        assert response["statusCode"] == 409, response
        assert body(response)["Errors"]["Error"][0]["ReasonCode"] == "ALREADY_REPROCESSED"

    @rule(name=accounts, amount=amounts, fault=faults, write=writes)
    def dr_redemption(self, name: str, amount: Decimal, fault: str, write: int) -> None:
        before = self.balance()
        event = harness.post_redemption(self.account(name), amount, f"SM{next(_references)}")
        response = self.send("RedemptionsFunction", event, fault, write)
        points = harness.points_for(amount)
        if points > before:
            assert response["statusCode"] == 422, response
            assert body(response)["Errors"]["Error"][0]["ReasonCode"] == "INSUFFICIENT_POINTS"
            assert self.balance() == before
            return
        assert response["statusCode"] == 200, response
        [item] = body(response)["items"]
        self.redeemed[str(item["redemptionId"])] = points
        assert self.balance() == before - points == Decimal(str(body(response)["pointBalance"]))
        REACHED["dr redeemed"] += 1

    @precondition(lambda self: self.redeemed)
    @rule(data=st.data(), fault=faults, write=writes)
    def dr_credit(self, data: st.DataObject, fault: str, write: int) -> None:
        # insertion order, not sorted ids: ids are random, so a replayed example must draw by position
        redemption_id = data.draw(st.sampled_from(list(self.redeemed)))
        remaining = self.redeemed[redemption_id] - self.credited[redemption_id]
        asked = data.draw(
            st.one_of(st.none(), st.integers(min_value=1, max_value=int(self.redeemed[redemption_id]) + 5))
        )
        before = self.balance()
        event = harness.post_credit(int(redemption_id), asked)
        event["headers"]["idempotency-key"] = f"SMC{next(_references)}"  # a client retry must be safe
        response = self.send("RedemptionsFunction", event, fault, write)
        if remaining <= 0:
            assert response["statusCode"] == 409, response
        elif asked is not None and asked > remaining:
            assert response["statusCode"] == 422, response
        else:
            assert response["statusCode"] == 200, response
            points = remaining if asked is None else Decimal(asked)
            assert Decimal(str(body(response)["pointsCredited"])) == points
            self.credited[redemption_id] += points
            assert self.balance() == before + points == Decimal(str(body(response)["pointBalance"]))
            REACHED["dr credited"] += 1
            return
        assert self.balance() == before

    @precondition(lambda self: len(self.rejected) < REBATE_DAYS)
    @rule(data=st.data(), fault=faults, write=writes)
    def reject_rebate(self, data: st.DataObject, fault: str, write: int) -> None:
        """The issuer rejects one redemption's rebate: recorded, settled in the next day's file,
        acknowledged REJECTED (the fault at the acknowledgement's writes); its points come back once."""
        assert self.household is not None
        _, records = harness.household_snapshot(self.stack, self.household)
        owed = sorted(
            (
                r["record"]
                for r in records
                if r["record"]["responseReasonId"] == "60" and f"PWR-{r['record']['id']}" not in self.rejected
            ),
            key=lambda record: int(record["externalId"].removeprefix("SM")),
        )
        if not owed:
            return
        chosen = data.draw(st.sampled_from(owed))
        reference, points = f"PWR-{chosen['id']}", Decimal(str(chosen["pointsRedeemed"]))
        service = runtime.settlement_service()
        for event in committed_events(self.stack, "pwr.authorization.processed"):
            if event.data.authorizationId == chosen["id"]:
                service.record(event)  # what the recorder does with the stream (idempotent)
        day = datetime.now(UTC).date() + timedelta(days=len(self.rejected))  # each rejection settles a day of its own
        service.clock = lambda: (
            datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(minutes=11)
        )
        file_id = service.settle(harness.CLIENT_ID, day).file.file_id
        before = self.balance()
        key = f"acks/{file_id}.csv"
        ack = f"H,ACK1,{harness.CLIENT_ID},{file_id}\nD,{reference},REJECTED,R03\nT,1\n"
        self.stack.client("s3").put_object(Bucket=self.stack.buckets["SettlementBucket"], Key=key, Body=ack.encode())
        event = load_event("s3-acknowledgement")
        event["Records"][0]["s3"]["bucket"]["name"] = self.stack.buckets["SettlementBucket"]
        event["Records"][0]["s3"]["object"]["key"] = key
        answer = self.send("RebateAcksFunction", event, fault, write)
        [report] = answer["reports"]
        assert (report["APPLIED"], report["REFUSED"]) == (1, 0), answer
        assert service.store.get(reference).status is RebateStatus.REJECTED  # type: ignore[union-attr]
        assert self.balance() == before + points
        self.rejected[reference] = points
        REACHED["rebate rejected"] += 1

    @invariant()
    def ledger_is_consistent(self) -> None:
        if self.household is None:
            return
        state, records = harness.household_snapshot(self.stack, self.household)
        harness.assert_ledger_adds_up(state)
        harness.assert_each_redeemed_once(state)
        harness.assert_no_authorization_redeemed_twice(state)
        harness.assert_credits_within_redemptions(state, self.redeemed)
        harness.assert_records_agree_with_ledger(self.stack, self.household, state, records)
        returned = {e["reference"]: Decimal(e["points"]) for e in state.entries if e["source"] == "REBATE_REJECTED"}
        assert returned == self.rejected  # each rejected rebate credited once, with its points, and no other
        REACHED["steps with ledger entries"] += bool(state.entries)


def test_random_operation_sequences_keep_the_ledger_consistent(stack, capsys):
    LedgerMachine.stack = stack
    harness.new_household(stack, Decimal(0))  # the first use creates the functions' clients
    client = runtime.aws_client("dynamodb")
    LedgerMachine.lost = LostAnswers().hook(client)
    LedgerMachine.crash = Crash(LedgerMachine.lost, client)
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            derandomize=DERANDOMIZE,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    with capsys.disabled():  # the summary only, not the functions' logs
        print(f"\nmodel-based run: {MAX_EXAMPLES} examples, paths reached: {dict(REACHED)}")
    assert REACHED["steps with ledger entries"] and REACHED["redelivered"], REACHED
    assert REACHED["dr redeemed"] and REACHED["dr credited"], REACHED
    assert REACHED["lost answers (sdk)"] and REACHED["lost answers (app)"], REACHED
    assert REACHED["client re-sent after a crash"], REACHED
    assert REACHED["rebate rejected"], REACHED
