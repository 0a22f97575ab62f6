"""A program whose points a client's point bank holds (``pointBank: EXTERNAL``), through the use
cases on moto with the reference bank on 127.0.0.1: balances are the bank's, each redemption is
one movement at the bank and one entry here, whatever answer is lost on the way."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from tools import check_point_bank
from tools.point_bank.faults import Fault
from tools.point_bank.server import PointBank

from rewards import runtime
from rewards.adapters.bank_ledger import BankLedger
from rewards.adapters.config_store import ConfigStore
from rewards.adapters.dynamo import Table
from rewards.adapters.dynamo_ledger import DynamoLedger
from rewards.adapters.point_bank import BankSettings, PointBankClient
from rewards.breaker import CircuitBreaker
from rewards.domain import Caller, ClientRole
from rewards.errors import Unavailable
from rewards.models.config import Program
from rewards.models.dr import REDEMPTION_REQUEST, CreditRequest, StatementCredit
from rewards.models.messages import QueuedAuthorization
from rewards.models.pwr import AuthorizationRequest
from rewards.rules.reasons import Detail, ReasonCode
from rewards.services.authorizations import AuthorizationService
from rewards.services.redemptions import RedemptionService
from tests.keys import new_key
from tests.point_bank_support import CONSUMER_KEY, running_bank
from tests.reliability import harness
from tests.support import Stack, load_config

pytestmark = pytest.mark.integration

KEY = new_key()
PROGRAM_ID = "BANKTEST"
POOL = "HH-BANK-1"
ACCOUNT = "RANACBANK01"
BANK_BALANCE = Decimal(50_000)
PURCHASE = Decimal("120.00")  # 12,000 points at 0.01 a point
LOST_ANSWERS = ["drop_after_commit", "hang_after_commit", "error_after_commit", "duplicate"]


@dataclass
class World:
    stack: Stack
    bank: PointBank
    ledger: BankLedger
    service: AuthorizationService
    breaker: CircuitBreaker

    def intents(self) -> list[dict[str, Any]]:
        return [i for i in self.ledger.table.scan() if i["pk"].startswith("INTENT#")]


def document(bank_url: str) -> dict[str, Any]:
    program = {
        **harness.program(False),
        "programId": PROGRAM_ID,
        "pointBank": {"type": "EXTERNAL", "baseUrl": bank_url, "clientId": CONSUMER_KEY, "timeoutSeconds": 0.5},
    }
    account = {
        "accountId": ACCOUNT,
        "cardNumber": "5900000000990001",
        "programId": PROGRAM_ID,
        "householdId": POOL,
        "householdRole": "PRIMARY_REDEEMER",
        "preferences": {"redemptionFrequency": "MULT"},
    }
    return {
        "programs": [program],
        "clients": [
            {"clientId": "bank-issuer", "name": "Bank issuer", "role": "ISSUER", "programIds": [PROGRAM_ID]},
            {"clientId": "bank-merchant", "name": "Bank shop", "role": "MERCHANT", "programIds": [PROGRAM_ID]},
        ],
        "households": [{"householdId": POOL, "programId": PROGRAM_ID, "openingBalance": "0"}],
        "users": [{"userId": "bankuser", "accounts": [account]}],
    }


@pytest.fixture
def world(stack: Stack) -> Iterator[World]:
    with running_bank(KEY, {POOL: str(BANK_BALANCE)}) as bank:
        load_config(stack, text=json.dumps(document(bank.url)))
        dynamodb = stack.client("dynamodb")
        config = ConfigStore(Table(dynamodb, stack.config_table), 0)
        breaker = CircuitBreaker()

        def bank_for(program: Program) -> PointBankClient:
            settings = BankSettings.of(program.pointBank)
            return PointBankClient(settings, KEY, sleep=lambda _: None, breaker=breaker)

        ledger = BankLedger(Table(dynamodb, stack.ledger_table), config, bank_for, sleep=lambda _: None)
        service = AuthorizationService(ledger, config, runtime.hash_card, sleep=lambda _: None)
        yield World(stack, bank, ledger, service, breaker)


def message(reference: str, account: str = ACCOUNT, amount: Decimal = PURCHASE) -> QueuedAuthorization:
    return QueuedAuthorization.model_validate_json(harness.network_message(account, amount, reference))


def assert_one_debit_in_both_stores(world: World, points: Decimal) -> None:
    movements = world.bank.store.movements()
    assert [(m.kind, m.points) for m in movements] == [("DEBIT", points)]
    ledger = world.ledger.pool_ledger(POOL)
    assert [(e.kind, e.points) for e in ledger.entries] == [("DEBIT", points)]
    assert ledger.pool is not None and ledger.pool.balance == world.bank.store.balance(POOL) == BANK_BALANCE - points
    assert [(i["sk"], i["status"]) for i in world.intents()] == [(movements[0].idempotency_key, "COMMITTED")]


def test_the_decision_reads_the_banks_balance_and_debits_it_once(world):
    processed = world.service.process_message(message("NETREF000001"))
    assert processed.stored.outcome.reason is ReasonCode.REDEEMED
    assert processed.stored.outcome.points == Decimal(12_000)  # the pool here holds 0: the bank's balance decided
    assert_one_debit_in_both_stores(world, Decimal(12_000))
    again = world.service.process_message(message("NETREF000001"))  # SQS delivers it again
    assert again.replayed and again.stored.id == processed.stored.id
    assert_one_debit_in_both_stores(world, Decimal(12_000))


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_lost_answer_of_the_debit_is_asked_again_under_the_same_key(world, mode):
    world.bank.faults.add(Fault(mode, frozenset({"debit"}), seconds=1.0 if mode == "hang_after_commit" else 0))
    processed = world.service.process_message(message("NETREF000002"))
    assert processed.stored.outcome.reason is ReasonCode.REDEEMED
    assert_one_debit_in_both_stores(world, Decimal(12_000))


def test_a_debit_committed_at_the_bank_whose_answers_are_all_lost_commits_once_on_the_next_delivery(world):
    world.bank.faults.add(Fault("drop_after_commit", frozenset({"debit"}), times=3))
    with pytest.raises(Unavailable):  # the record returns to the queue; nothing here, the intent PENDING
        world.service.process_message(message("NETREF000003"))
    assert world.ledger.pool_ledger(POOL).entries == []
    assert [i["status"] for i in world.intents()] == ["PENDING"]
    assert world.bank.store.balance(POOL) == BANK_BALANCE - 12_000
    # Redelivered: the balance read already shows the debit, the decision is the same, so is the key
    processed = world.service.process_message(message("NETREF000003"))
    assert processed.stored.outcome.points == Decimal(12_000)
    assert_one_debit_in_both_stores(world, Decimal(12_000))


def test_a_pending_debit_the_retry_decides_against_is_reversed_at_the_bank(world):
    world.bank.faults.add(Fault("drop_after_commit", frozenset({"debit"}), times=3))
    with pytest.raises(Unavailable):
        world.service.process_message(message("NETREF000004", amount=Decimal("450.00")))  # 45,000 of 50,000
    # after the lost debit the bank holds 5,000: the redelivery can no longer redeem 45,000
    processed = world.service.process_message(message("NETREF000004", amount=Decimal("450.00")))
    assert processed.stored.outcome.reason is ReasonCode.INSUFFICIENT_POINTS
    assert world.bank.store.balance(POOL) == BANK_BALANCE  # the pending debit was reversed
    assert world.ledger.pool_ledger(POOL).entries == []
    assert [i["status"] for i in world.intents()] == ["REVERSED"]


def test_insufficient_points_at_the_bank_is_the_answer_the_pool_gives(world):
    amount = Decimal("600.00")  # 60,000 points, the bank holds 50,000
    external = world.service.process_message(message("NETREF000005", amount=amount))
    internal_household = harness.new_household(world.stack, BANK_BALANCE)
    dynamodb = world.stack.client("dynamodb")
    pool_service = AuthorizationService(
        DynamoLedger(Table(dynamodb, world.stack.ledger_table)),
        ConfigStore(Table(dynamodb, world.stack.config_table), 0),
        runtime.hash_card,
    )
    internal = pool_service.process_message(message("NETREF000006", internal_household.bob, amount))
    assert external.stored.outcome == internal.stored.outcome
    assert external.stored.outcome.reason is ReasonCode.INSUFFICIENT_POINTS
    assert world.bank.store.movements() == [] and world.bank.store.balance(POOL) == BANK_BALANCE


def open_breaker(world: World) -> None:
    for _ in range(3):
        world.breaker.failed()


def test_an_open_breaker_makes_the_network_copy_eligible_at_once_with_nothing_redeemed(world):
    open_breaker(world)
    processed = world.service.process_message(message("NETREF000007"))
    assert (processed.stored.outcome.reason, processed.stored.outcome.detail) == (
        ReasonCode.ELIGIBLE,
        Detail.POINT_BANK_UNAVAILABLE,
    )
    assert processed.stored.outcome.points == 0
    assert world.bank.store.movements() == [] and world.ledger.pool_ledger(POOL).entries == []
    world.breaker.succeeded()  # the bank is back: the copy delivered again replays the first answer
    assert world.service.process_message(message("NETREF000007")).replayed
    assert world.bank.store.movements() == []


def test_an_unreachable_bank_makes_the_network_copy_eligible_and_an_api_call_a_503(world):
    world.bank.faults.add(Fault("unavailable", frozenset({"balance"}), times=None))
    processed = world.service.process_message(message("NETREF000008"))
    assert processed.stored.outcome.reason is ReasonCode.ELIGIBLE
    with pytest.raises(Unavailable):
        world.service.process_request(
            Caller("bank-issuer", frozenset({PROGRAM_ID})),
            AuthorizationRequest.model_validate(
                {**harness.fields(ACCOUNT, PURCHASE), "externalId": "API0001", "queueTransaction": "N"}
            ),
        )
    assert world.bank.store.movements() == [] and world.ledger.pool_ledger(POOL).entries == []


def redemption_service(world: World) -> RedemptionService:
    return RedemptionService(world.ledger, world.ledger.config, runtime.hash_card, sleep=lambda _: None)


MERCHANT = Caller("bank-merchant", frozenset({PROGRAM_ID}), ClientRole.MERCHANT)


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_dr_redemption_and_its_credit_under_lost_answers_move_the_bank_once_each(world, mode):
    seconds = 1.0 if mode == "hang_after_commit" else 0
    service = redemption_service(world)
    assert service.ledger.pool(POOL).balance == BANK_BALANCE  # type: ignore[union-attr]  # the DR balance
    world.bank.faults.add(Fault(mode, frozenset({"debit"}), seconds=seconds))
    request = REDEMPTION_REQUEST.validate_python(harness.dr_redemption(ACCOUNT, Decimal("100.00"), "DRBANK0001"))
    assert not isinstance(request, StatementCredit)
    redeemed = service.redeem(MERCHANT, request)
    assert redeemed.pointBalance == BANK_BALANCE - 10_000
    world.bank.faults.add(Fault(mode, frozenset({"credit"}), seconds=seconds))
    assert redeemed.items is not None
    line = redeemed.items[0].redemptionId
    credited = service.credit(MERCHANT, line, CreditRequest(pointsCredited=Decimal(4_000)), "CREDITKEY1")
    assert credited.pointBalance == BANK_BALANCE - 6_000
    again = service.credit(MERCHANT, line, CreditRequest(pointsCredited=Decimal(4_000)), "CREDITKEY1")  # replayed
    assert again == credited
    assert [(m.kind, m.points) for m in world.bank.store.movements()] == [("DEBIT", 10_000), ("CREDIT", 4_000)]
    ledger = world.ledger.pool_ledger(POOL)
    assert [(e.kind, e.points) for e in ledger.entries] == [("DEBIT", 10_000), ("CREDIT", 4_000)]
    assert ledger.pool is not None and ledger.pool.balance == world.bank.store.balance(POOL) == BANK_BALANCE - 6_000
    assert sorted(i["status"] for i in world.intents()) == ["COMMITTED", "COMMITTED"]


def reconcile(world: World) -> tuple[int, str]:
    out = io.StringIO()
    return check_point_bank.check(world.ledger, world.bank.store, out), out.getvalue()


def test_the_reconciliation_agrees_after_lost_answers_and_a_reversal_and_finds_a_stray_movement(world):
    world.bank.faults.add(Fault("drop_after_commit", frozenset({"debit"}), times=3))
    with pytest.raises(Unavailable):
        world.service.process_message(message("NETREF000009", amount=Decimal("450.00")))
    status, report = reconcile(world)
    assert status == 1 and "PENDING" in report  # not resolved yet
    world.service.process_message(message("NETREF000009", amount=Decimal("450.00")))  # reversed, 72
    world.bank.faults.add(Fault("error_after_commit", frozenset({"debit"})))
    world.service.process_message(message("NETREF000010"))  # redeemed through a lost answer
    assert reconcile(world) == (0, "checked 1 bank account(s): 0 problem(s)\n")
    world.bank.store.move("stray-key", POOL, "DEBIT", Decimal(5), "not the engine")
    status, report = reconcile(world)
    assert status == 1 and "bank movement stray-key (DEBIT 5): engine intent missing" in report
    assert "pool mirror" in report
