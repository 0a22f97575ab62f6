"""What every use case holds: the ledger, the program configuration, the card hasher, a clock,
the short random wait after a lost race (the pool's balance moved between read and commit), and
the rebate instructions the listings read."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rewards.ledger import Configuration, Ledger
from rewards.services.accounts import CardHasher

if TYPE_CHECKING:
    from rewards.services.rebate_states import RebateLookup

MAX_REBUILDS = 60  # decisions made again after lost races, before 503 (nothing of it committed)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UseCase:
    def __init__(
        self,
        ledger: Ledger,
        config: Configuration,
        hash_card: CardHasher,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        rebates: RebateLookup | None = None,
    ) -> None:
        self.ledger = ledger
        self.config = config
        self.hash_card = hash_card
        self.clock = clock
        self.sleep = sleep
        self.rebates = rebates  # the listings show each redemption's rebate (None: not shown)

    def spread(self, rebuild: int) -> None:
        """A short random wait after a lost race, so that contenders do not meet again at once."""
        self.sleep(random.uniform(0, 0.002 * min(rebuild, 10)))
