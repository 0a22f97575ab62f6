"""Concurrent authorizations against one household, with real threads and one boto3 client per
thread (each thread is its own Lambda container). moto is serialized by tools.moto_lock, so
these tests check the application's conditions, not DynamoDB's internal contention."""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import boto3
import pytest

from rewards.adapters.config_store import ConfigStore
from rewards.adapters.dynamo import Table
from rewards.adapters.dynamo_ledger import DynamoLedger
from rewards.domain import Caller, ClientRole
from rewards.errors import BusinessRefusal, InsufficientPoints, Unavailable
from rewards.models.dr import CreditRequest, MerchandiseRedemption
from rewards.models.messages import QueuedAuthorization
from rewards.models.pwr import AuthorizationRequest
from rewards.services.authorizations import AuthorizationService
from rewards.services.redemptions import RedemptionService
from tests.reliability import harness
from tests.reliability.lost_answers import ALL_SENDS, LostAnswers
from tests.support import body

WORKERS = 50
ROUNDS = int(os.environ.get("RACE_ROUNDS", "20"))
AMOUNT = Decimal("100.00")  # 10,000 points each
CALLER = Caller(clientId=harness.CLIENT_ID, programIds=frozenset({harness.PROGRAM_ID}), role=ClientRole.ISSUER)
MERCHANT = Caller(clientId=harness.MERCHANT_ID, programIds=frozenset({harness.PROGRAM_ID}), role=ClientRole.MERCHANT)


class Container:
    """What one Lambda container holds: its own boto3 client and service objects."""

    def __init__(self, stack: Any) -> None:
        self.client = boto3.session.Session().client("dynamodb", region_name="us-east-1")
        ledger = DynamoLedger(Table(self.client, stack.ledger_table), sleep=lambda _: None)
        config = ConfigStore(Table(self.client, stack.config_table))
        self.service = AuthorizationService(ledger, config, hash_card=lambda _: "unused", sleep=lambda _: None)
        self.redemptions = RedemptionService(ledger, config, hash_card=lambda _: "unused", sleep=lambda _: None)

    def redeem(self, request: MerchandiseRedemption) -> Decimal | None:
        """Points a DR redemption took, or None when the balance did not cover it."""
        try:
            self.redemptions.redeem(MERCHANT, request)
        except InsufficientPoints:
            return None
        return harness.points_for(AMOUNT)


def run_together(pool: ThreadPoolExecutor, tasks: list[Callable[[], Any]]) -> list[Any]:
    """Start every task at the same moment (a barrier), wait for all, re-raise any failure."""
    barrier = threading.Barrier(len(tasks), timeout=30)

    def start(task: Callable[[], Any]) -> Any:
        barrier.wait()
        return task()

    return [future.result() for future in [pool.submit(start, t) for t in tasks]]


@pytest.fixture
def containers(stack: Any) -> Any:
    local = threading.local()

    def container() -> Container:
        if not hasattr(local, "container"):
            local.container = Container(stack)
        return local.container

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        yield pool, container


def redemption_tasks(household: harness.Household, container: Any, tag: str) -> list[Callable[[], Any]]:
    """Mixed: one in three a DR redemption (Bob or Carol), the rest PWR, half API (queueTransaction=N)
    and half network copies; Alice (SNGL) makes one PWR purchase in five, Bob (MULT) the others."""
    tasks: list[Callable[[], Any]] = []
    for n in range(WORKERS):
        if n % 3 == 1:
            account_id = household.carol if n % 2 else household.bob
            dr = MerchandiseRedemption.model_validate(harness.dr_redemption(account_id, AMOUNT, f"{tag}D{n}"))
            tasks.append(lambda r=dr: container().redeem(r))
            continue
        account_id = household.alice if n % 5 == 0 else household.bob
        if n % 2:
            request = AuthorizationRequest.model_validate(
                {**harness.fields(account_id, AMOUNT), "externalId": f"{tag}X{n}", "queueTransaction": "N"}
            )
            tasks.append(lambda r=request: container().service.process_request(CALLER, r).authorization.pointsRedeemed)
        else:
            message = QueuedAuthorization.model_validate_json(harness.network_message(account_id, AMOUNT, f"{tag}N{n}"))
            tasks.append(lambda m=message: container().service.process_message(m).authorization.pointsRedeemed)
    return tasks


DR_TASKS = len([n for n in range(WORKERS) if n % 3 == 1])


class BalanceWatcher(threading.Thread):
    """Reads the pool balance, as any other reader would, for as long as the round runs."""

    def __init__(self, stack: Any, pool_id: str) -> None:
        super().__init__()
        self.key = {"pk": {"S": f"POOL#{pool_id}"}, "sk": {"S": "POOL"}}
        self.table = stack.ledger_table
        self.observed: list[Decimal] = []
        self.done = threading.Event()

    def run(self) -> None:
        reader = boto3.session.Session().client("dynamodb", region_name="us-east-1")
        while True:  # at least one reading, even if the round is already over
            item = reader.get_item(TableName=self.table, Key=self.key)["Item"]
            self.observed.append(Decimal(item["balance"]["N"]))
            if self.done.wait(0.02):
                return


def test_fifty_concurrent_dr_and_pwr_redemptions_take_exactly_what_the_household_affords(stack, containers):
    pool, container = containers
    rng = random.Random(7)
    winners: Counter[str] = Counter()
    for round_number in range(ROUNDS):
        affordable = rng.randint(3, 30)  # full redemptions the opening balance covers
        leftover = Decimal(rng.randint(0, 9999))  # less than one more purchase
        household = harness.new_household(stack, affordable * harness.points_for(AMOUNT) + leftover)
        watcher = BalanceWatcher(stack, household.pool_id)
        watcher.start()
        try:
            results = run_together(pool, redemption_tasks(household, container, f"R{round_number}"))
        finally:
            watcher.done.set()
            watcher.join()

        redeemed = [Decimal(r) for r in results if r and Decimal(r) > 0]
        state = harness.pool_state(stack, household.pool_id)
        assert len(redeemed) == affordable, (round_number, len(redeemed), affordable)
        assert all(points == harness.points_for(AMOUNT) for points in redeemed)
        assert state.balance == leftover < harness.points_for(AMOUNT)
        assert len([e for e in state.entries if e["entryType"] == "DEBIT"]) == affordable
        dr_debits = [e for e in state.entries if e["source"] == "DR_REDEMPTION"]
        assert len(dr_debits) == len([r for r in results[1::3] if r])  # tasks n % 3 == 1 are the DR ones
        winners.update(e["source"] for e in state.entries)
        assert watcher.observed and min(watcher.observed) >= 0
        harness.assert_ledger_adds_up(state)
        harness.assert_each_redeemed_once(state)
        assert harness.assert_records_agree_with_ledger(stack, household, state) == WORKERS - DR_TASKS
        # every email, SMS, webhook and SNS event reports the balance right after its own commit
        harness.assert_event_balances_chain(state.opening, state.balance, harness.household_events(stack, household))
        # Alice is SNGL: her preference turns OFF with her first redemption, so at most one is hers.
        assert len([e for e in state.entries if e["accountId"] == household.alice]) <= 1
    assert winners["DR_REDEMPTION"] and winners["PWR_AUTHORIZATION"], winners


def test_ten_copies_of_one_api_authorization_commit_once(stack, containers):
    pool, _ = containers
    household = harness.new_household(stack, Decimal(100_000))
    event = harness.post_authorization(household.bob, AMOUNT, "DUP0000001")
    handlers = [harness.fresh_handler("AuthorizationsFunction") for _ in range(10)]
    responses = run_together(pool, [lambda h=h: h(event) for h in handlers])

    assert {r["statusCode"] for r in responses} == {200}, responses
    results = [body(r)[0] for r in responses]
    assert all(result == results[0] for result in results)  # every copy sees the first result
    state = harness.pool_state(stack, household.pool_id)
    assert len(state.entries) == 1
    assert state.balance == Decimal(100_000) - harness.points_for(AMOUNT)
    assert len(harness.authorization_items(stack, household.bob)) == 1
    harness.assert_ledger_adds_up(state)


def test_ten_deliveries_of_one_network_authorization_commit_once(stack, containers):
    pool, _ = containers
    household = harness.new_household(stack, Decimal(100_000))
    message = harness.network_message(household.bob, AMOUNT, "NETDUP000001")
    handlers = [harness.fresh_handler("AuthProcessorFunction") for _ in range(10)]
    responses = run_together(pool, [lambda h=h: h(harness.network_event(message)) for h in handlers])

    assert all(r == {"batchItemFailures": []} for r in responses), responses
    state = harness.pool_state(stack, household.pool_id)
    assert len(state.entries) == 1
    assert state.balance == Decimal(100_000) - harness.points_for(AMOUNT)
    [record] = harness.authorization_items(stack, household.bob)
    assert record["record"]["pointsRedeemed"] == "10000"
    harness.assert_ledger_adds_up(state)


def test_ten_members_of_one_household_in_one_batch_each_report_the_balance_after_their_commit(stack):
    """One SQS batch, ten cardholders sharing one pool of 100,000: ten events, 97,500 down to 75,000."""
    household = harness.new_household(stack, Decimal(100_000), members=10)
    messages = [
        harness.network_message(account, Decimal("25.00"), f"BATCH{n:02d}")
        for n, account in enumerate(household.members)
    ]
    answer = harness.fresh_handler("AuthProcessorFunction")(harness.network_event(*messages))
    assert answer == {"batchItemFailures": []}, answer
    state = harness.pool_state(stack, household.pool_id)
    assert state.balance == Decimal(75_000)
    events = harness.household_events(stack, household)
    assert sorted(Decimal(str(e["pointBalance"])) for e in events) == [Decimal(75_000 + 2_500 * n) for n in range(10)]
    harness.assert_event_balances_chain(state.opening, state.balance, events)


class LossyContainer(Container):
    """A container whose DynamoDB answers are lost at random after the write was applied."""

    def __init__(self, stack: Any, lost: LostAnswers) -> None:
        super().__init__(stack)
        lost.hook(self.client)


@pytest.fixture(params=[1, ALL_SENDS], ids=["sdk-retries", "function-retries"])
def lossy(stack: Any, request: pytest.FixtureRequest) -> Any:
    lost = LostAnswers(probability=0.3, random_sends=request.param, seed=3)
    local = threading.local()

    def container() -> LossyContainer:
        if not hasattr(local, "container"):
            local.container = LossyContainer(stack, lost)
        return local.container

    with ThreadPoolExecutor(max_workers=40) as pool:
        yield pool, container, lost


def test_forty_concurrent_keyless_redemptions_under_lost_answers_debit_once_per_success(stack, lossy):
    """No externalId, no Idempotency-Key: each request still debits at most once, every 200 has its
    own ledger line, and a 503 is only answered when nothing of that request committed."""
    pool, container, lost = lossy
    household = harness.new_household(stack, Decimal(3_000))  # 30 redemptions of 100 points
    request = harness.dr_redemption(household.bob, Decimal("1.00"), "unused")
    del request["externalId"]
    redemption = MerchandiseRedemption.model_validate(request)

    def attempt() -> tuple[str, Any]:
        try:
            return "ok", container().redemptions.redeem(MERCHANT, redemption)
        except InsufficientPoints:
            return "refused", None
        except Unavailable as error:
            return "unavailable", error

    results = run_together(pool, [attempt for _ in range(40)])
    answered = [response for kind, response in results if kind == "ok"]
    state = harness.pool_state(stack, household.pool_id)
    debits = [e for e in state.entries if e["source"] == "DR_REDEMPTION"]
    assert lost.lost, "some answers were lost"
    assert len(debits) == len(answered) == 30, (len(debits), len(answered), Counter(k for k, _ in results))
    assert sorted(e["reference"] for e in debits) == sorted(r.id for r in answered)
    assert sorted(r.pointBalance for r in answered) == [Decimal(100 * n) for n in range(30)]
    harness.assert_ledger_adds_up(state)


def test_twenty_concurrent_credits_under_lost_answers_credit_what_they_answer(stack, lossy):
    """A 250-point line, twenty credits of 100 at once: two succeed, the rest are refused, and the
    points credited are exactly what the 200s say, once each."""
    pool, container, lost = lossy
    household = harness.new_household(stack, Decimal(10_000))
    redeemed = container().redemptions.redeem(
        MERCHANT, MerchandiseRedemption.model_validate(harness.dr_redemption(household.bob, Decimal("2.50"), "C250"))
    )
    assert redeemed.items
    line = redeemed.items[0].redemptionId
    lost.probability = 1.0  # from here every write's answers are lost: each commit is re-sent

    def attempt() -> tuple[str, Any]:
        try:
            return "ok", container().redemptions.credit(MERCHANT, line, CreditRequest(pointsCredited=Decimal(100)))
        except BusinessRefusal:
            return "refused", None
        except Unavailable as error:
            return "unavailable", error

    results = run_together(pool, [attempt for _ in range(20)])
    answered = [response for kind, response in results if kind == "ok"]
    state = harness.pool_state(stack, household.pool_id)
    credits = [e for e in state.entries if e["source"] == "DR_CREDIT"]
    assert len(answered) == len(credits) == 2, (len(answered), len(credits), Counter(k for k, _ in results))
    assert sum(Decimal(e["points"]) for e in credits) == Decimal(200)
    assert sorted(r.remainingCreditablePoints for r in answered) == [Decimal(50), Decimal(150)]
    assert sorted(r.pointBalance for r in answered) == [Decimal(10_000 - 250 + 100), Decimal(10_000 - 250 + 200)]
    harness.assert_ledger_adds_up(state)
