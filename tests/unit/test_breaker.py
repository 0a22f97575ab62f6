"""The circuit breaker's states: closed, open for a while, then one trial."""

from __future__ import annotations

import pytest

from rewards.breaker import BreakerState, CircuitBreaker, breaker_for

pytestmark = pytest.mark.unit


def breaker(threshold: int = 3) -> tuple[CircuitBreaker, list[float]]:
    now = [100.0]
    return CircuitBreaker(threshold=threshold, open_seconds=10, clock=lambda: now[0]), now


def test_it_opens_after_threshold_failures_in_a_row_only():
    b, _ = breaker()
    for _ in range(5):  # a success between failures starts the count again
        b.failed()
        b.failed()
        b.succeeded()
    assert b.state is BreakerState.CLOSED and b.allow()
    b.failed()
    b.failed()
    assert b.allow()
    b.failed()
    assert b.state is BreakerState.OPEN and not b.allow()


def test_after_the_open_period_one_trial_goes_out_and_its_outcome_decides():
    b, now = breaker(threshold=1)
    b.failed()
    now[0] += 9.9
    assert not b.allow()
    now[0] += 0.2
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow() and not b.allow()  # one trial at a time
    b.failed()
    assert b.state is BreakerState.OPEN  # a full period again, from the trial's failure
    now[0] += 10.1
    assert b.allow()
    b.succeeded()
    assert b.state is BreakerState.CLOSED and b.allow() and b.allow()


def test_a_successful_trial_starts_the_count_again():
    b, now = breaker(threshold=3)
    for _ in range(3):
        b.failed()
    now[0] += 11
    assert b.allow()
    b.succeeded()
    b.failed()
    b.failed()  # two failures after closing: still closed
    assert b.state is BreakerState.CLOSED
    b.failed()
    assert b.state is BreakerState.OPEN


def test_one_breaker_per_bank_per_instance():
    assert breaker_for("http://bank-a.test/v1") is breaker_for("http://bank-a.test/v1")
    assert breaker_for("http://bank-a.test/v1") is not breaker_for("http://bank-b.test/v1")
