"""The engine's point bank client against the reference bank: whatever fault hits a call, the call
ends with the key's one outcome, and the bank holds one movement per key."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from tools.point_bank.faults import Fault

from rewards.adapters.point_bank import (
    BankRefused,
    BankSettings,
    BankUnavailable,
    InsufficientBankPoints,
    KeyReused,
    OutcomeUnknown,
    PointBankClient,
    UnknownBankAccount,
)
from rewards.breaker import BreakerState, CircuitBreaker
from tests.keys import new_key
from tests.point_bank_support import CONSUMER_KEY, running_bank

pytestmark = pytest.mark.integration

KEY = new_key()
FAULTS_THAT_LOSE_THE_ANSWER = ["drop_after_commit", "hang_after_commit", "error_after_commit", "unavailable"]
EVERY_FAULT = [*FAULTS_THAT_LOSE_THE_ANSWER, "duplicate", "slow"]


@pytest.fixture
def bank():
    with running_bank(KEY, {"POOL-1": "1000"}) as running:
        yield running


def client(bank, key=KEY, attempts: int = 3) -> PointBankClient:
    settings = BankSettings(bank.url, CONSUMER_KEY, timeout_seconds=0.5, attempts=attempts, backoff_seconds=0.01)
    return PointBankClient(settings, key, breaker=CircuitBreaker())


def fault(mode: str, operation: str) -> Fault:
    return Fault(mode, frozenset({operation}), seconds=1.0 if mode == "hang_after_commit" else 0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", EVERY_FAULT)
def test_a_debit_under_any_fault_commits_once_and_answers_it(bank, mode):
    bank.faults.add(fault(mode, "debit"))
    moved = client(bank).debit("POOL-1", Decimal(300), "pwr:AUTH-1:debit", "AUTH-1", "PWR_REDEMPTION")
    assert (moved.kind, moved.points, moved.balance) == ("DEBIT", Decimal(300), Decimal(700))
    assert moved.replayed == (mode not in ("unavailable", "slow"))  # the answer came from a re-ask
    assert bank.store.balance("POOL-1") == Decimal(700)
    assert [m.idempotency_key for m in bank.store.movements()] == ["pwr:AUTH-1:debit"]


@pytest.mark.parametrize("mode", EVERY_FAULT)
def test_a_credit_under_any_fault_commits_once_and_answers_it(bank, mode):
    bank.faults.add(fault(mode, "credit"))
    moved = client(bank).credit("POOL-1", Decimal("12.5"), "dr:CREDIT-9:credit", "CREDIT-9", "DR_CREDIT")
    assert (moved.kind, moved.balance) == ("CREDIT", Decimal("1012.5"))
    assert bank.store.balance("POOL-1") == Decimal("1012.5") and len(bank.store.movements()) == 1


@pytest.mark.parametrize("mode", EVERY_FAULT)
def test_a_balance_read_under_any_fault_answers_the_balance(bank, mode):
    bank.faults.add(fault(mode, "balance"))
    assert client(bank).balance("POOL-1") == Decimal(1000)


def test_attempts_spent_leave_the_outcome_unknown_and_the_same_key_resolves_it_later(bank):
    bank.faults.add(Fault("drop_after_commit", frozenset({"debit"}), times=3))
    with pytest.raises(OutcomeUnknown):
        client(bank).debit("POOL-1", Decimal(100), "k1", "AUTH-2", "PWR_REDEMPTION")
    assert bank.store.balance("POOL-1") == Decimal(900)  # it had committed at the first send
    later = client(bank).debit("POOL-1", Decimal(100), "k1", "AUTH-2", "PWR_REDEMPTION")
    assert later.replayed and later.balance == Decimal(900) and len(bank.store.movements()) == 1


def test_a_bank_that_never_answers_is_outcome_unknown_with_nothing_committed(bank):
    bank.faults.add(Fault("unavailable", frozenset({"debit", "balance"}), times=None))
    with pytest.raises(OutcomeUnknown):
        client(bank).debit("POOL-1", Decimal(100), "k1", "AUTH-3", "PWR_REDEMPTION")
    with pytest.raises(OutcomeUnknown):
        client(bank).balance("POOL-1")
    assert bank.store.movements() == []


def test_defined_refusals_are_answered_at_once(bank):
    with pytest.raises(InsufficientBankPoints) as refused:
        client(bank).debit("POOL-1", Decimal(5000), "k1", "AUTH-4", "PWR_REDEMPTION")
    assert refused.value.balance == Decimal(1000)
    with pytest.raises(InsufficientBankPoints):  # the key keeps its refusal
        client(bank).debit("POOL-1", Decimal(5000), "k1", "AUTH-4", "PWR_REDEMPTION")
    with pytest.raises(KeyReused):
        client(bank).debit("POOL-1", Decimal(50), "k1", "AUTH-4", "PWR_REDEMPTION")
    with pytest.raises(UnknownBankAccount):
        client(bank).balance("NOPE")
    with pytest.raises(BankRefused):
        client(bank, key=new_key()).balance("POOL-1")
    assert bank.store.balance("POOL-1") == Decimal(1000)


def test_the_breaker_opens_on_a_failing_bank_answers_at_once_and_closes_when_it_recovers(bank):
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, open_seconds=30, clock=lambda: now[0])
    settings = BankSettings(bank.url, CONSUMER_KEY, timeout_seconds=0.5, attempts=2, backoff_seconds=0.01)
    engine = PointBankClient(settings, KEY, breaker=breaker)
    bank.faults.add(Fault("unavailable", frozenset({"debit", "balance"}), times=None))
    for key in ("k1", "k2"):
        with pytest.raises(OutcomeUnknown):
            engine.debit("POOL-1", Decimal(10), key, key, "PWR_REDEMPTION")
    assert breaker.state is BreakerState.OPEN and bank.calls == 4
    with pytest.raises(BankUnavailable):
        engine.balance("POOL-1")
    assert bank.calls == 4  # refused without a call
    now[0] = 31.0
    with pytest.raises(OutcomeUnknown):  # the one trial, still failing: open again for 30 s
        engine.balance("POOL-1")
    assert breaker.state is BreakerState.OPEN and bank.calls == 6
    bank.faults.clear()
    now[0] = 62.0
    assert engine.debit("POOL-1", Decimal(10), "k1", "k1", "PWR_REDEMPTION").balance == Decimal(990)
    assert breaker.state is BreakerState.CLOSED and bank.store.balance("POOL-1") == Decimal(990)


def test_defined_refusals_keep_the_breaker_closed(bank):
    breaker = CircuitBreaker(threshold=1)
    engine = PointBankClient(BankSettings(bank.url, CONSUMER_KEY), KEY, breaker=breaker)
    for _ in range(3):
        with pytest.raises(UnknownBankAccount):
            engine.balance("NOPE")
    assert breaker.state is BreakerState.CLOSED


@contextmanager
def serving(answer: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A bank on 127.0.0.1 that answers every GET and POST with ``answer``; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer(self)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            answer(self)

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("status", "body"), [(201, b"not json"), (201, b'{"kind": "DEBIT"}'), (200, b"[]")])
def test_a_success_that_is_not_a_movement_leaves_the_outcome_unknown(status, body):
    sent: list[str] = []

    def garbage(handler: BaseHTTPRequestHandler) -> None:
        sent.append(handler.headers["Idempotency-Key"])
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    with serving(garbage) as url:
        settings = BankSettings(url, CONSUMER_KEY, 1.0, 2, 0.01)
        with pytest.raises(OutcomeUnknown):
            PointBankClient(settings, KEY, breaker=CircuitBreaker()).debit("P", Decimal(1), "k1", "r", "DR_REDEMPTION")
    assert sent == ["k1"] * (2 if body == b"not json" else 1)  # a non-JSON success is asked again


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_configuration_error_and_is_not_followed(status):
    reached: list[str | None] = []

    def elsewhere(handler: BaseHTTPRequestHandler) -> None:
        reached.append(handler.headers["Authorization"])
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")

    with serving(elsewhere) as other:

        def redirect(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Location", other + handler.path.removeprefix("/v1"))
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        with serving(redirect) as url:
            engine = PointBankClient(BankSettings(url, CONSUMER_KEY, 1.0, 2, 0.01), KEY, breaker=CircuitBreaker())
            with pytest.raises(BankRefused, match=str(status)):
                engine.balance("POOL-1")
            with pytest.raises(BankRefused, match=str(status)):
                engine.debit("POOL-1", Decimal(1), "k1", "r", "DR_REDEMPTION")
    assert reached == []  # the signed request went nowhere else
