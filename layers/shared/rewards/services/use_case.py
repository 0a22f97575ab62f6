"""What every use case holds: a ledger store, the program configuration, the card hasher, a clock,
and the wait before retrying a transaction that met a transient conflict."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

from rewards.adapters.config_store import ConfigStore
from rewards.adapters.ledger import LedgerStore
from rewards.services.accounts import CardHasher

MAX_ATTEMPTS = 6

Clock = Callable[[], datetime]
S = TypeVar("S", bound=LedgerStore)


def utc_now() -> datetime:
    return datetime.now(UTC)


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
