"""One request, one effect, under the real fault model: a write commits and its answer is lost.

For every writer, at every one of its write calls, three faults:

- ``sdk``: the answer of one send is lost; botocore re-sends the identical request (same body,
  same ClientRequestToken) and the re-send's answer arrives;
- ``app``: every send's answer is lost, botocore gives up with a ReadTimeoutError, and the
  function's own retry loop re-sends;
- ``client``: the function dies right after the commit (no answer at all) and the client, or SQS,
  sends the same request again.

Each runs with DynamoDB's token window open (moto honours ClientRequestToken, as DynamoDB does for
ten minutes) and closed (a re-send is evaluated as a new request and meets the first one's
conditions). Each must end with exactly the effect of a fault-free run and a 200 whose numbers
match the ledger.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from tools import moto_idempotency
from tools.apigw import http_event

from rewards import runtime
from tests.reliability import harness
from tests.reliability.lost_answers import ALL_SENDS, Crash, LostAnswers
from tests.support import Stack, body, invoke

OPENING = Decimal(100_000)
_tags = itertools.count(1)


@dataclass
class Case:
    """One request of a writer against a fresh household."""

    household: harness.Household
    function: str
    event: dict[str, Any]
    check: Callable[[Stack, Case, dict[str, Any]], None]
    replays: bool  # a second identical request gives the first answer (externalId, key, natural key)


Prepare = Callable[[Stack], Case]


def tag() -> str:
    return f"X{next(_tags):05d}"


def answered(response: dict[str, Any]) -> dict[str, Any] | list[Any]:
    assert response.get("statusCode", 200) == 200, response
    return body(response) if "statusCode" in response else response


# -- what each writer's answer must agree with ---------------------------------------------
def balance_matches(stack: Stack, case: Case, answer: dict[str, Any]) -> None:
    state = harness.pool_state(stack, case.household.pool_id)
    assert Decimal(str(answer["pointBalance"])) == state.balance, (answer, state.balance)


def redeemed_authorization(stack: Stack, case: Case, answer: dict[str, Any]) -> None:
    [result] = answer
    assert result["responseReasonId"] == "60", result
    debits = [e for e in harness.pool_state(stack, case.household.pool_id).entries if e["entryType"] == "DEBIT"]
    assert [e["reference"] for e in debits] == [result["id"]]


def no_batch_failures(stack: Stack, case: Case, answer: dict[str, Any]) -> None:
    assert answer == {"batchItemFailures": []}, answer


def reprocessed(stack: Stack, case: Case, answer: dict[str, Any]) -> None:
    assert answer["reprocessCode"] == "60", answer
    [entry] = harness.pool_state(stack, case.household.pool_id).entries[-1:]
    assert entry["source"] == "PWR_REPROCESS"


def preferences_saved(stack: Stack, case: Case, answer: dict[str, Any]) -> None:
    assert answer["redemptionFrequency"] == "MULT" and answer["fixedAccountRedemptionAmount"] == 40, answer


def statement_credit_recorded(stack: Stack, case: Case, answer: dict[str, Any]) -> None:
    assert answer["id"], answer


# -- the writers ---------------------------------------------------------------------------
def dr_redemption(*, external_id: bool = False, idempotency_key: bool = False) -> Prepare:
    def prepare(stack: Stack) -> Case:
        household = harness.new_household(stack, OPENING)
        payload = harness.dr_redemption(household.bob, Decimal("25.00"), tag())
        if not external_id:
            del payload["externalId"]
        headers = {"Idempotency-Key": tag()} if idempotency_key else None
        event = http_event("POST", "/redemptions", body=payload, headers=headers, authorizer=harness.MERCHANT)
        return Case(household, "RedemptionsFunction", event, balance_matches, external_id or idempotency_key)

    return prepare


def dr_credit(*, idempotency_key: bool = False) -> Prepare:
    def prepare(stack: Stack) -> Case:
        household = harness.new_household(stack, OPENING)
        first = answered(invoke("RedemptionsFunction", harness.post_redemption(household.bob, Decimal("25"), tag())))
        assert isinstance(first, dict)
        event = harness.post_credit(first["items"][0]["redemptionId"], 1000)
        if idempotency_key:
            event["headers"]["idempotency-key"] = tag()
        return Case(household, "RedemptionsFunction", event, balance_matches, idempotency_key)

    return prepare


def statement_credit(stack: Stack) -> Case:
    household = harness.new_household(stack, OPENING)
    [eligible] = answered(
        invoke("AuthorizationsFunction", harness.post_authorization(household.carol, Decimal("80"), tag()))
    )
    payload = {
        "redemptionType": "STATEMENT_CREDIT",
        "userId": household.carol,
        "userIdType": "RANAC",
        "paymentAuthId": eligible["id"],
        "externalId": tag(),
        "pointsRedeemed": 8000,
        "cashBackAmount": 80,
        "reasonCode": "60",
    }
    event = http_event("POST", "/redemptions", body=payload, authorizer=harness.CALLER)
    return Case(household, "RedemptionsFunction", event, statement_credit_recorded, True)


def pwr_api(stack: Stack) -> Case:
    household = harness.new_household(stack, OPENING)
    event = harness.post_authorization(household.bob, Decimal("100.00"), tag())
    return Case(household, "AuthorizationsFunction", event, redeemed_authorization, True)


def pwr_queue(stack: Stack) -> Case:
    household = harness.new_household(stack, OPENING)
    event = harness.network_event(harness.network_message(household.bob, Decimal("100.00"), tag()))
    return Case(household, "AuthProcessorFunction", event, no_batch_failures, True)


def pwr_reprocess(stack: Stack) -> Case:
    household = harness.new_household(stack, OPENING)
    [eligible] = answered(
        invoke("AuthorizationsFunction", harness.post_authorization(household.carol, Decimal("80"), tag()))
    )
    assert eligible["responseReasonId"] == "59"
    event = harness.post_reprocess(eligible["id"], household.carol)
    return Case(household, "ReprocessFunction", event, reprocessed, True)


def pwr_preferences(stack: Stack) -> Case:
    household = harness.new_household(stack, OPENING)
    event = harness.put_preferences(household.bob, {"redemptionFrequency": "MULT", "fixedAccountRedemptionAmount": 40})
    return Case(household, "PreferencesFunction", event, preferences_saved, True)


WRITERS: dict[str, Prepare] = {
    "dr-redemption": dr_redemption(),
    "dr-redemption-externalId": dr_redemption(external_id=True),
    "dr-redemption-idempotency-key": dr_redemption(idempotency_key=True),
    "dr-credit": dr_credit(),
    "dr-credit-idempotency-key": dr_credit(idempotency_key=True),
    "statement-credit": statement_credit,
    "pwr-api": pwr_api,
    "pwr-queue": pwr_queue,
    "pwr-reprocess": pwr_reprocess,
    "pwr-preferences": pwr_preferences,
}


# -- running a case under a fault ----------------------------------------------------------
@pytest.fixture(params=["window-open", "window-closed"])
def tokens(request: pytest.FixtureRequest) -> Iterator[str]:
    """Whether a re-sent transaction is recognised by its token (DynamoDB, within 10 minutes)."""
    if request.param == "window-closed":
        moto_idempotency.uninstall()
    yield str(request.param)
    moto_idempotency.install()


@pytest.fixture
def lost(stack: Stack) -> LostAnswers:
    harness.new_household(stack, OPENING)  # the first use creates the functions' clients
    return LostAnswers().hook(runtime.aws_client("dynamodb"))


def effect(stack: Stack, case: Case) -> dict[str, Any]:
    """What committed for the case's household, comparable across households."""
    state = harness.pool_state(stack, case.household.pool_id)
    harness.assert_ledger_adds_up(state)
    return {
        "moved": sorted((e["entryType"], e["source"], Decimal(e["points"])) for e in state.entries),
        "balance": state.balance,
        "records": harness.record_kinds(stack, case.household),
    }


def run(stack: Stack, lost: LostAnswers, case: Case, plan: dict[int, int]) -> dict[str, Any]:
    lost.reset(plan)
    return invoke(case.function, case.event)


def write_calls(stack: Stack, lost: LostAnswers, prepare: Prepare) -> tuple[list[int], dict[str, Any]]:
    case = prepare(stack)
    lost.reset()
    answer = invoke(case.function, case.event)
    case.check(stack, case, answered(answer))  # type: ignore[arg-type]
    assert lost.writes, lost.calls
    return list(range(len(lost.writes))), effect(stack, case)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_lost_answer_at_any_write_leaves_one_effect_and_a_true_answer(stack, lost, tokens, writer):
    prepare = WRITERS[writer]
    writes, expected = write_calls(stack, lost, prepare)
    for index, (mode, sends) in itertools.product(writes, [("sdk", 1), ("app", ALL_SENDS)]):
        case = prepare(stack)
        answer = run(stack, lost, case, {index: sends})
        assert lost.lost, (writer, index, mode, lost.calls)  # the fault happened
        case.check(stack, case, answered(answer))  # type: ignore[arg-type]
        assert effect(stack, case) == expected, (writer, index, mode, tokens)


@pytest.mark.parametrize("writer", [name for name in WRITERS if name not in {"dr-redemption", "dr-credit"}])
def test_a_request_sent_again_after_its_commit_lost_every_answer_has_one_effect(stack, lost, writer):
    prepare = WRITERS[writer]
    writes, expected = write_calls(stack, lost, prepare)
    crash = Crash(lost, runtime.aws_client("dynamodb"))
    for index in writes:
        case = prepare(stack)
        assert case.replays
        crash.at = index
        with pytest.raises(SystemExit):
            run(stack, lost, case, {})
        retried = invoke(case.function, json.loads(json.dumps(case.event)))
        case.check(stack, case, answered(retried))  # type: ignore[arg-type]
        outcome = effect(stack, case)
        if writer == "pwr-preferences":  # a PUT sent twice writes twice, to the same values
            outcome["records"].pop("versions"), expected["records"].pop("versions", None)
        assert outcome == expected, (writer, index)
