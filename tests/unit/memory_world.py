"""The demo configuration on the in-memory ledger: use cases tested without moto."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from tools.config_loader import parse_document

from rewards.adapters.memory_ledger import MemoryConfig, MemoryLedger
from rewards.domain import Account, AccountRef, CardholderPreferences, PointPool
from rewards.services.authorizations import AuthorizationService
from rewards.services.profiles import ProfileService
from rewards.services.redemptions import RedemptionService
from rewards.services.reprocess import ReprocessService
from tests.support import DEMO_CONFIG

NOW = datetime(2026, 11, 20, 18, 45, 10, tzinfo=UTC)


def hash_card(number: str) -> str:
    return hashlib.sha256(b"test-key" + number.encode()).hexdigest()


@dataclass
class World:
    ledger: MemoryLedger = field(default_factory=MemoryLedger)
    config: MemoryConfig = field(default_factory=MemoryConfig)
    now: datetime = NOW

    def clock(self) -> datetime:
        return self.now

    def authorizations(self) -> AuthorizationService:
        return AuthorizationService(self.ledger, self.config, hash_card, clock=self.clock, sleep=lambda _: None)

    def reprocess(self) -> ReprocessService:
        return ReprocessService(self.ledger, self.config, hash_card, clock=self.clock, sleep=lambda _: None)

    def redemptions(self) -> RedemptionService:
        return RedemptionService(self.ledger, self.config, hash_card, clock=self.clock, sleep=lambda _: None)

    def profiles(self) -> ProfileService:
        return ProfileService(self.ledger, self.config, hash_card)

    def balance(self, pool_id: str) -> Decimal:
        pool = self.ledger.pool(pool_id)
        assert pool is not None
        return pool.balance


def demo_world(text: str | None = None) -> World:
    """config/demo.yaml (or ``text``) loaded into a fresh in-memory ledger."""
    document = parse_document(text if text is not None else DEMO_CONFIG.read_text())
    world = World()
    for program in document.programs:
        world.config.programs[program.programId] = program
    for household in document.households:
        world.ledger.add_pool(
            PointPool(household.householdId, household.openingBalance, household.openingBalance, household.programId)
        )
    for user in document.users:
        for doc in user.accounts:
            pool_id = doc.householdId or doc.accountId
            if doc.householdId is None:
                assert doc.openingBalance is not None
                world.ledger.add_pool(PointPool(pool_id, doc.openingBalance, doc.openingBalance, doc.programId))
            account = Account(
                accountId=doc.accountId,
                userId=user.userId,
                programId=doc.programId,
                status=doc.status,
                poolId=pool_id,
                householdId=doc.householdId,
                householdRole=doc.householdRole,
                lastFour=doc.cardNumber[-4:],
                bankProductCode=doc.bankProductCode,
                preferences=CardholderPreferences(**doc.preferences.model_dump()),
            )
            world.ledger.add_account(account, hash_card(doc.cardNumber))
        if user.bankCustomerNumber:
            refs = [AccountRef(a.accountId, a.programId) for a in user.accounts]
            world.ledger.customer_refs[hash_card(user.bankCustomerNumber)] = refs
    return world
