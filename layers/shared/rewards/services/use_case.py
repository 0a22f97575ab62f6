"""What every use case holds: a ledger store, the program configuration, the card hasher, a clock,
the wait before retrying a transaction, and the loop that commits a request exactly once."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from rewards.adapters.config_store import ConfigStore
from rewards.adapters.dynamo import Op, TransactionRefused, TransientConflict
from rewards.adapters.ledger import LedgerStore
from rewards.errors import Unavailable
from rewards.ids import new_uuid
from rewards.services.accounts import CardHasher

MAX_ATTEMPTS = 6  # sends after a transient failure (timeout, throttling, conflict)
MAX_REBUILDS = 60  # fresh reads after a lost race (the pool's balance moved between read and commit)
NOT_COMMITTED = (
    "Nothing was committed: the ledger is busy. Retry the request; send the same externalId or "
    "Idempotency-Key so that a retry can never apply it twice."
)

Clock = Callable[[], datetime]
S = TypeVar("S", bound=LedgerStore)
R = TypeVar("R")


def utc_now() -> datetime:
    return datetime.now(UTC)


def not_committed(details: str | None = None) -> Unavailable:
    return Unavailable(NOT_COMMITTED, details=details)


@dataclass(frozen=True)
class Pending(Generic[R]):
    """One transaction as built from what the request read: its actions, the answer it gives when it
    commits, and its token (a re-send with the same token is applied at most once)."""

    ops: list[Op]
    result: R
    token: str = field(default_factory=new_uuid)


class UseCase(Generic[S]):
    def __init__(
        self,
        store: S,
        config: ConfigStore,
        hash_card: CardHasher,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.config = config
        self.hash_card = hash_card
        self.clock = clock
        self.sleep = sleep

    def back_off(self, attempt: int) -> None:
        """Wait before attempt ``attempt + 1`` (20 ms, doubling)."""
        self.sleep(0.02 * 2**attempt)

    def spread(self, rebuild: int) -> None:
        """A short random wait after a lost race, so that contenders do not meet again at once."""
        self.sleep(random.uniform(0, 0.002 * min(rebuild, 10)))

    def commit_once(
        self,
        build: Callable[[], Pending[R]],
        committed: Callable[[TransactionRefused | None], R | None],
        refused: Callable[[TransactionRefused], R | None],
    ) -> R:
        """Commit one request's transaction exactly once, whatever the network does.

        The request's identities (record id, ledger entry, event) are fixed before this loop, so
        every send writes the same items. A transient failure (timeout, lost connection, conflict)
        re-sends the same transaction with the same token: it may have committed already.

        A refused condition is first checked against the request's own earlier sends: ``committed``
        reads back the request's record and gives its committed answer (the send committed, its
        answer was lost, and the re-send met the first one's conditions). Otherwise ``refused``
        answers the refusal (a replay, a business error) or returns None to build the transaction
        again from fresh reads (a lost race: nothing of this request committed).

        When the attempts are spent, ``committed(None)`` reads back once more: 503 only when nothing
        of this request committed.
        """
        pending = build()
        transient = rebuilds = 0
        while transient < MAX_ATTEMPTS and rebuilds <= MAX_REBUILDS:
            try:
                self.store.transact(pending.ops, pending.token)
            except TransientConflict:
                self.back_off(transient)
                transient += 1
                continue
            except TransactionRefused as error:
                mine = committed(error)
                if mine is not None:
                    return mine
                answer = refused(error)
                if answer is not None:
                    return answer
                rebuilds += 1
                self.spread(rebuilds)
                pending = build()
                continue
            return pending.result
        mine = committed(None)
        if mine is not None:
            return mine
        raise not_committed()
