"""A circuit breaker: after ``threshold`` failures in a row it opens, and for ``open_seconds`` every
call is refused at once instead of waiting on a failing dependency; then one trial call is let
through (half-open): a success closes it, a failure opens it again. Pure state, clock injected.

One breaker per point bank and per Lambda instance (docs/point-bank.md, "Circuit breaker").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


@dataclass
class CircuitBreaker:
    threshold: int = 3
    open_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    trial_running: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self.opened_at < self.open_seconds:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allow(self) -> bool:
        """May a call go out now? In half-open, only one trial at a time."""
        with self._lock:
            state = self.state
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self.trial_running:
                self.trial_running = True
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            self.failures, self.opened_at, self.trial_running = 0, None, False

    def failed(self) -> None:
        with self._lock:
            self.failures += 1
            if self.trial_running or self.failures >= self.threshold:
                self.opened_at, self.trial_running = self.clock(), False


_BREAKERS: dict[str, CircuitBreaker] = {}
_BREAKERS_LOCK = threading.Lock()


def breaker_for(name: str, threshold: int = 3, open_seconds: float = 30.0) -> CircuitBreaker:
    """This instance's breaker of ``name`` (a point bank's base URL), made on first use."""
    with _BREAKERS_LOCK:
        if name not in _BREAKERS:
            _BREAKERS[name] = CircuitBreaker(threshold, open_seconds)
        return _BREAKERS[name]
