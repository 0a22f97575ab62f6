"""Fault injection at every AWS call of the queue processor and the API handlers: throttling,
transaction conflicts, timeouts, lost connections, and a crash right after the commit. Failed
records are redelivered as SQS would; the final state must equal the fault-free run."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from tools.apigw import http_event

from rewards import runtime
from tests.reliability import harness
from tests.support import body, committed_events, invoke

MAX_RECEIVES = 5  # the queue's maxReceiveCount
OPENING = Decimal(100_000)  # covers every purchase, so the outcome does not depend on the order
PURCHASES = [
    ("bob", Decimal("100.00")),
    ("alice", Decimal("40.00")),
    ("carol", Decimal("60.00")),
]
ENDPOINT = "https://dynamodb.us-east-1.amazonaws.com"


def throttled(operation: str) -> Exception:
    code = "ProvisionedThroughputExceededException"
    return ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, operation)


def conflict(operation: str) -> Exception:
    if operation != "TransactWriteItems":
        return ClientError({"Error": {"Code": "TransactionConflictException", "Message": "conflict"}}, operation)
    error = {
        "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled [TransactionConflict]"},
        "CancellationReasons": [{"Code": "TransactionConflict"}],
    }
    return ClientError(error, operation)  # type: ignore[arg-type]


def read_timeout(operation: str) -> Exception:
    return ReadTimeoutError(endpoint_url=ENDPOINT)


def connection_lost(operation: str) -> Exception:
    return EndpointConnectionError(endpoint_url=ENDPOINT)


FAULTS: dict[str, Callable[[str], Exception]] = {
    "throttling": throttled,
    "transaction-conflict": conflict,
    "read-timeout": read_timeout,
    "connection-error": connection_lost,
}


class Injector:
    """botocore hooks on the functions' clients: fail chosen calls before they are sent, or after
    the service has applied them (the response is lost: a crash or timeout right after commit)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.before: dict[int, Callable[[str], Exception]] = {}
        self.after: dict[int, Callable[[str], Exception]] = {}
        self.always: tuple[str | tuple[str, ...], Callable[[str], Exception]] | None = None  # operation(s), fault
        for service in ("dynamodb", "sqs"):
            events = runtime.aws_client(service).meta.events
            events.register(f"before-call.{service}", self._before)
            events.register(f"after-call.{service}", self._after)

    def reset(self) -> None:
        self.calls.clear()
        self.before.clear()
        self.after.clear()
        self.always = None

    def _before(self, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.calls.append(operation)
        fault = self.before.pop(len(self.calls) - 1, None)
        if fault is None and self.always:
            names, always = self.always
            if operation in ((names,) if isinstance(names, str) else names):
                fault = always
        if fault is not None:
            raise fault(operation)

    def _after(self, event_name: str, **_: Any) -> None:
        fault = self.after.pop(len(self.calls) - 1, None)
        if fault is not None:
            raise fault(event_name.rsplit(".", 1)[-1])


@pytest.fixture
def injector(stack: Any) -> Injector:
    harness.new_household(stack, OPENING)  # loads the program; first use creates the clients
    runtime.authorization_service().sleep = lambda _: None  # no real back-off in tests
    return Injector()


# -- the queue processor ----------------------------------------------------------------
def deliver_until_done(messages: list[str]) -> tuple[int, list[str]]:
    """SQS semantics: a failed record comes back in a later batch, at most MAX_RECEIVES times."""
    pending = messages
    for delivery in range(1, MAX_RECEIVES + 1):
        event = harness.network_event(*pending)
        ids = {record["messageId"]: record["body"] for record in event["Records"]}
        answer = invoke("AuthProcessorFunction", event)
        pending = [ids[failure["itemIdentifier"]] for failure in answer["batchItemFailures"]]
        if not pending:
            return delivery, []
    return MAX_RECEIVES, pending  # these go to the dead-letter queue


def run_batch(stack: Any, tag: str) -> tuple[harness.Household, list[str], int, list[str]]:
    household = harness.new_household(stack, OPENING)
    messages = [
        harness.network_message(getattr(household, name), amount, f"{tag}-{n}")
        for n, (name, amount) in enumerate(PURCHASES)
    ]
    deliveries, dead = deliver_until_done(messages)
    return household, messages, deliveries, dead


def outcome(stack: Any, household: harness.Household) -> dict[str, Any]:
    """Everything that must not depend on faults: balance, ledger, one record per purchase."""
    state = harness.pool_state(stack, household.pool_id)
    harness.assert_ledger_adds_up(state)
    harness.assert_each_redeemed_once(state)
    harness.assert_records_agree_with_ledger(stack, household, state)
    records = [item["record"] for account in household.accounts for item in harness.authorization_items(stack, account)]
    return {
        "balance": state.balance,
        "debits": sorted(Decimal(e["points"]) for e in state.entries),
        "purchases": sorted(
            (r["externalId"].rsplit("-", 1)[-1], r["responseReasonId"], r["pointsRedeemed"]) for r in records
        ),
    }


def outbox_events(stack: Any) -> Counter[str]:
    """Committed events per authorization id (the outbox is written in the same transaction)."""
    events = committed_events(stack, "pwr.authorization.processed")
    return Counter(event.data.authorizationId for event in events)


def test_every_single_fault_at_every_processor_call_ends_in_the_fault_free_state(stack, injector):
    baseline_household, _, deliveries, dead = run_batch(stack, "BASE")
    assert (deliveries, dead) == (1, [])
    expected = outcome(stack, baseline_household)
    assert [p[1] for p in expected["purchases"]] == ["60", "60", "59"] and len(expected["debits"]) == 2
    calls = list(injector.calls)
    assert "TransactWriteItems" in calls and "BatchGetItem" in calls

    scenarios = 0
    for index, operation in enumerate(calls):
        for name, fault in FAULTS.items():
            injector.reset()
            injector.before[index] = fault
            household, _, _, dead = run_batch(stack, f"B{index}{name[:4]}")
            assert dead == [], (index, operation, name)
            assert outcome(stack, household) == expected, (index, operation, name)
            scenarios += 1
        if operation == "TransactWriteItems":  # committed, then the answer is lost
            for name, fault in (("crash", lambda op: RuntimeError("crash after commit")), ("timeout", read_timeout)):
                injector.reset()
                injector.after[index] = fault
                household, _, _, dead = run_batch(stack, f"A{index}{name}")
                assert dead == [], (index, name)
                assert outcome(stack, household) == expected, (index, name)
                scenarios += 1
    assert scenarios >= 4 * len(calls)
    assert set(outbox_events(stack).values()) == {1}  # crashes and replays added no second event


@pytest.mark.parametrize("operations", [("GetItem", "BatchGetItem"), ("TransactWriteItems",)], ids=["reads", "commits"])
def test_a_fault_that_never_clears_ends_in_the_dead_letter_queue_with_the_reason_logged(
    stack, injector, caplog, operations
):
    injector.always = (operations, throttled)
    household, messages, deliveries, dead = run_batch(stack, f"DLQ{operations[0][:5]}")
    # A purchase that redeems nothing is one conditional PutItem, no transaction: carol's commits.
    failing = messages if "GetItem" in operations else messages[:2]
    assert deliveries == MAX_RECEIVES
    assert sorted(dead) == sorted(failing)
    reasons = [r for r in caplog.records if r.getMessage() == "queued authorization not processed"]
    assert len(reasons) == MAX_RECEIVES * len(failing)
    assert {r.reason for r in reasons} <= {"TransientConflict", "Unavailable"}  # type: ignore[attr-defined]
    assert {r.external_id for r in reasons} == {json.loads(m)["externalId"] for m in failing}  # type: ignore[attr-defined]
    state = harness.pool_state(stack, household.pool_id)
    assert state.balance == OPENING and state.entries == []  # nothing half-written
    recorded = [
        (item["record"]["externalId"], item["record"]["pointsRedeemed"])
        for account in household.accounts
        for item in harness.authorization_items(stack, account)
    ]
    committed = [m for m in messages if m not in failing]
    assert recorded == [(json.loads(m)["externalId"], "0") for m in committed]


def test_a_failed_batch_read_falls_back_to_reading_each_record(stack, injector, caplog):
    injector.always = ("BatchGetItem", connection_lost)
    household, _, deliveries, dead = run_batch(stack, "NOBATCH")
    assert (deliveries, dead) == (1, [])
    assert any(r.getMessage() == "batch prefetch failed; records will load one by one" for r in caplog.records)
    assert len(harness.pool_state(stack, household.pool_id).entries) == 2


# -- the API handlers ---------------------------------------------------------------------
def post_until_answered(event: dict[str, Any], limit: int = 8) -> tuple[dict[str, Any], list[int]]:
    """A client retrying the same request (same externalId) until it gets an answer."""
    statuses = []
    for _ in range(limit):
        response = invoke("AuthorizationsFunction", event)
        statuses.append(response["statusCode"])
        if response["statusCode"] == 200:
            return response, statuses
        error = body(response)["Errors"]["Error"][0]
        assert error["Recoverable"] is True, response
    raise AssertionError(f"never answered: {statuses}")


def test_every_single_fault_at_every_api_call_ends_in_the_fault_free_state(stack, injector):
    household = harness.new_household(stack, OPENING)
    injector.reset()
    first = body(
        invoke("AuthorizationsFunction", harness.post_authorization(household.bob, Decimal("100.00"), "APIBASE-0"))
    )
    calls = list(injector.calls)
    expected_state = outcome(stack, household)
    plans: list[tuple[str, int, str, Callable[[str], Exception]]] = [
        ("before", i, n, f) for i in range(len(calls)) for n, f in FAULTS.items()
    ]
    plans += [
        ("after", i, "crash", lambda op: RuntimeError("crash"))
        for i, c in enumerate(calls)
        if c == "TransactWriteItems"
    ]
    for when, index, name, fault in plans:
        household = harness.new_household(stack, OPENING)
        injector.reset()
        (injector.before if when == "before" else injector.after)[index] = fault
        response, statuses = post_until_answered(
            harness.post_authorization(household.bob, Decimal("100.00"), f"AP{index}{name[:4]}{when[0]}-0")
        )
        [answer] = body(response)
        assert answer["responseReasonId"] == first[0]["responseReasonId"] == "60"
        assert all(s == 200 or s >= 500 for s in statuses), statuses
        assert outcome(stack, household) == expected_state, (when, index, calls[index], name)


def test_a_persistent_api_fault_answers_503_in_the_envelope_and_writes_nothing(stack, injector):
    household = harness.new_household(stack, OPENING)
    injector.reset()
    injector.always = ("TransactWriteItems", throttled)
    response = invoke("AuthorizationsFunction", harness.post_authorization(household.bob, Decimal("100.00"), "APIDOWN"))
    assert response["statusCode"] == 503, response
    error = body(response)["Errors"]["Error"][0]
    assert error["ReasonCode"] == "SERVICE_UNAVAILABLE" and error["Recoverable"] is True
    state = harness.pool_state(stack, household.pool_id)
    assert state.balance == OPENING and state.entries == []
    assert harness.authorization_items(stack, household.bob) == []


def test_a_read_timeout_on_the_reads_answers_503_not_500(stack, injector):
    household = harness.new_household(stack, OPENING)
    injector.reset()
    injector.always = ("GetItem", read_timeout)
    response = invoke("AuthorizationsFunction", harness.post_authorization(household.bob, Decimal("100.00"), "APIREAD"))
    assert response["statusCode"] == 503, response


def test_reprocess_that_committed_before_a_timeout_is_not_refused_as_a_duplicate(stack, injector):
    household = harness.new_household(stack, OPENING)
    injector.reset()
    answer = body(
        invoke("AuthorizationsFunction", harness.post_authorization(household.carol, Decimal("80.00"), "REPRO1"))
    )
    auth_id = answer[0]["id"]
    assert answer[0]["responseReasonId"] == "59"  # Carol is OFF: eligible, not redeemed
    injector.reset()
    invoke("ReprocessFunction", harness.post_reprocess(auth_id, household.carol))  # dry run to count calls
    calls = list(injector.calls)
    household = harness.new_household(stack, OPENING)
    injector.reset()
    answer = body(
        invoke("AuthorizationsFunction", harness.post_authorization(household.carol, Decimal("80.00"), "REPRO2"))
    )
    auth_id = answer[0]["id"]
    injector.reset()
    injector.after[calls.index("TransactWriteItems")] = read_timeout
    response = invoke("ReprocessFunction", harness.post_reprocess(auth_id, household.carol))
    assert response["statusCode"] == 200, response
    assert body(response)["reprocessCode"] == "60"
    state = harness.pool_state(stack, household.pool_id)
    assert [e["source"] for e in state.entries] == ["PWR_REPROCESS"]
    assert state.balance == OPENING - harness.points_for(Decimal("80.00"))


def sqs_throttled(operation: str) -> Exception:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


@pytest.mark.parametrize("fault", [sqs_throttled, connection_lost, read_timeout], ids=lambda f: f.__name__)
def test_a_failed_queue_send_answers_503_in_the_envelope(stack, injector, fault):
    household = harness.new_household(stack, OPENING)
    request = {**harness.fields(household.bob, Decimal("100.00")), "externalId": "QDOWN", "queueTransaction": "Y"}
    event = http_event("POST", "/authorizations", body=request, authorizer=harness.CALLER)
    injector.reset()
    injector.always = ("SendMessage", fault)
    response = invoke("AuthorizationsFunction", event)
    assert response["statusCode"] == 503, response
    [error] = body(response)["Errors"]["Error"]
    assert error["ReasonCode"] == "SERVICE_UNAVAILABLE" and error["Recoverable"] is True, error
    assert "SendMessage" in injector.calls
    injector.reset()
    retried = invoke("AuthorizationsFunction", event)  # the client's retry is queued
    assert retried["statusCode"] == 200, retried
    assert harness.pool_state(stack, household.pool_id).entries == []  # nothing processed yet, nothing written


def test_a_malformed_queue_record_fails_alone_and_is_logged_with_its_reason(stack, injector, caplog):
    household = harness.new_household(stack, OPENING)
    good = harness.network_message(household.bob, Decimal("100.00"), "MALFORMED-OK")
    event = harness.network_event('{"origin": "NETWORK", "authorization": "not an object"}', good)
    bad_id = event["Records"][0]["messageId"]
    with caplog.at_level("WARNING"):
        answer = invoke("AuthProcessorFunction", event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": bad_id}]}
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "Record processing exception" in r.message]
    assert warnings and warnings[0].exc_info and warnings[0].exc_info[0].__name__ == "ValidationError", caplog.text
    assert len(harness.pool_state(stack, household.pool_id).entries) == 1  # the good record was processed
