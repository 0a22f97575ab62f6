"""Fault switches of the reference bank: each fault applies to the next ``times`` calls of its
operations (``times=None``: every call until cleared).

- ``slow``: wait ``seconds`` before handling the call.
- ``unavailable``: answer 503 and do nothing (nothing committed).
- ``error_after_commit``: commit, then answer 500.
- ``hang_after_commit``: commit, then wait ``seconds`` before answering (the caller times out).
- ``drop_after_commit``: commit, then close the connection without an answer (a lost answer).
- ``duplicate``: commit, then answer as a replay of the key (200 and ``Idempotent-Replayed: true``).

For a balance read, "commit" is the read itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Mode = Literal["slow", "unavailable", "error_after_commit", "hang_after_commit", "drop_after_commit", "duplicate"]
Operation = Literal["balance", "debit", "credit"]
MODES: tuple[str, ...] = get_args(Mode)
OPERATIONS: tuple[str, ...] = get_args(Operation)
MAX_SECONDS = 60.0  # a fault never keeps a server thread longer


@dataclass
class Fault:
    mode: Mode
    operations: frozenset[str] = frozenset(OPERATIONS)
    times: int | None = 1
    seconds: float = 0.0

    @classmethod
    def from_json(cls, raw: Any) -> Fault:
        """A fault from the admin endpoint's body; ValueError names what is wrong."""
        if not isinstance(raw, dict):
            raise ValueError("a fault is a JSON object")
        mode = raw.get("mode")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        operations = raw.get("operations", list(OPERATIONS))
        if not isinstance(operations, list) or not operations or not set(operations) <= set(OPERATIONS):
            raise ValueError(f"operations must be a non-empty list of {', '.join(OPERATIONS)}")
        times = raw.get("times", 1)
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise ValueError("times must be a positive integer or null")
        seconds = raw.get("seconds", 0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= MAX_SECONDS:
            raise ValueError(f"seconds must be a number from 0 to {MAX_SECONDS:g}")
        return cls(mode, frozenset(operations), times, float(seconds))


@dataclass
class Faults:
    _pending: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def take(self, operation: str) -> Fault | None:
        """The first fault for this operation, counted as used."""
        with self._lock:
            for fault in self._pending:
                if operation in fault.operations:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._pending.remove(fault)
                    return fault
        return None
