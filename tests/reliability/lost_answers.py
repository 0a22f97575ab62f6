"""Lost answers: a DynamoDB call that reaches moto, is applied, and whose answer never comes back;
and crashes: the function dies right after a write was applied.

botocore then sees what it sees when DynamoDB committed and the connection dropped: a
``ReadTimeoutError``. It re-sends the identical request (same body, same ClientRequestToken) up
to its retry limit, and raises the timeout to the caller once the limit is spent. So a loss of
``sends=1`` is absorbed by the SDK's own retry, and ``sends=ALL_SENDS`` reaches the application.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ReadTimeoutError

ALL_SENDS = 99  # more than any retry limit: every send of the call loses its answer


@dataclass
class LostAnswers:
    """botocore hooks on chosen clients. ``plan`` maps the index of a write call (counted over the
    hooked clients, in order; reads are not counted, so caches do not shift it) to how many of its
    sends lose their answer; ``probability`` loses the answers of any write call at random
    (``random_sends`` of them: 1 for the SDK's retry to absorb, ALL_SENDS for the function's)."""

    operations: frozenset[str] = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem"})
    plan: dict[int, int] = field(default_factory=dict)
    probability: float = 0.0
    random_sends: int = 1  # how many sends lose their answer when ``probability`` strikes
    seed: int = 11
    calls: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    _pending: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def hook(self, *clients: Any) -> LostAnswers:
        for client in clients:
            events = client.meta.events
            events.register("before-call.dynamodb", self._before_call, unique_id=f"lost-call-{id(self)}")
            events.register_first("before-send.dynamodb", self._before_send, unique_id=f"lost-send-{id(self)}")
        return self

    def reset(self, plan: dict[int, int] | None = None) -> None:
        with self._lock:
            self.calls.clear()
            self.writes.clear()
            self.lost.clear()
            self.plan = dict(plan or {})

    def _before_call(self, model: Any, **_: Any) -> None:
        sends = 0
        with self._lock:
            self.calls.append(model.name)
            if model.name in self.operations:
                sends = self.plan.pop(len(self.writes), 0)
                self.writes.append(model.name)
                if not sends and self.probability:
                    sends = self.random_sends if self._random.random() < self.probability else 0
        self._pending.sends = sends
        self._pending.name = model.name

    def _before_send(self, request: Any, **_: Any) -> None:
        if getattr(self._pending, "sends", 0) <= 0:
            return  # moto's own handler answers
        from moto.core.models import botocore_stubber

        self._pending.sends -= 1
        botocore_stubber(event_name="before-send", request=request)  # applied...
        with self._lock:
            self.lost.append(self._pending.name)
        raise ReadTimeoutError(endpoint_url=request.url)  # ...and the answer is lost


class Crash:
    """The function dies right after the chosen write was applied: nothing answers the client (a
    Lambda timeout or a crashed container). Raises SystemExit, which no handler catches."""

    def __init__(self, lost: LostAnswers, *clients: Any) -> None:
        self.lost = lost
        self.at: int | None = None
        for client in clients:
            client.meta.events.register("after-call.dynamodb", self._after, unique_id=f"crash-{id(self)}")

    def _after(self, model: Any, **_: Any) -> None:
        if self.at is not None and model.name in self.lost.operations and len(self.lost.writes) - 1 == self.at:
            self.at = None
            raise SystemExit("the container died after the commit")
