"""Domain vocabulary shared by the rules, the services and the adapters (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class AccountStatus(StrEnum):
    GOOD_STANDING = "GOOD_STANDING"
    REDEEM_ONLY = "REDEEM_ONLY"
    NEW = "NEW"
    CANCELLED = "CANCELLED"
    ON_HOLD = "ON_HOLD"
    INACTIVE = "INACTIVE"

    @property
    def wire_code(self) -> str:
        """One-character code of ``AccountInfo.accountStatus`` (Mastercard MRS codes)."""
        return _STATUS_CODES[self]

    @property
    def may_redeem(self) -> bool:
        return self in (AccountStatus.GOOD_STANDING, AccountStatus.REDEEM_ONLY)


_STATUS_CODES = {
    AccountStatus.REDEEM_ONLY: "0",
    AccountStatus.GOOD_STANDING: "1",
    AccountStatus.NEW: "2",
    AccountStatus.CANCELLED: "3",
    AccountStatus.ON_HOLD: "4",
    AccountStatus.INACTIVE: "5",
}


class HouseholdRole(StrEnum):
    NON_REDEEMER = "NON_REDEEMER"
    REDEEMER = "REDEEMER"
    PRIMARY_REDEEMER = "PRIMARY_REDEEMER"

    @property
    def wire_code(self) -> str:
        """One-letter code of ``HouseholdInfo.householdRole``."""
        return {"NON_REDEEMER": "N", "REDEEMER": "R", "PRIMARY_REDEEMER": "P"}[self.value]

    @property
    def may_redeem(self) -> bool:
        return self is not HouseholdRole.NON_REDEEMER


class RedemptionFrequency(StrEnum):
    OFF = "OFF"  # PWR off: purchases are stored as eligible, redeemable later
    SNGL = "SNGL"  # next eligible purchase only, then OFF in the same write
    MULT = "MULT"  # every eligible purchase


class ClientRole(StrEnum):
    ISSUER = "ISSUER"
    MERCHANT = "MERCHANT"
    NETWORK = "NETWORK"


@dataclass(frozen=True)
class CardholderPreferences:
    redemptionFrequency: RedemptionFrequency = RedemptionFrequency.OFF
    minAccountPurchaseThreshold: Decimal | None = None
    fixedAccountRedemptionAmount: Decimal | None = None
    receiveEmailSw: bool = False
    receiveSMSSw: bool = False
    emailAddress: str | None = None
    smsNumber: str | None = None


@dataclass(frozen=True)
class Account:
    """One card account (identified by its RANAC) and the pool its points live in."""

    accountId: str  # RANAC
    userId: str
    programId: str
    status: AccountStatus
    poolId: str  # the household id, or the account's own pool when it has no household
    householdId: str | None
    householdRole: HouseholdRole | None
    lastFour: str
    bankProductCode: str | None = None
    cardBin: str | None = None  # the card's first six digits (account range overrides)
    preferences: CardholderPreferences = field(default_factory=CardholderPreferences)
    version: int = 0


@dataclass(frozen=True)
class AccountRef:
    """What a card or customer-number lookup says: the account and its program (and, for a card,
    the account's pool when the lookup was written with it, so that one read fetches both)."""

    accountId: str
    programId: str
    poolId: str | None = None


@dataclass(frozen=True)
class PointPool:
    """A point balance shared by the accounts of a household (or owned by one account)."""

    poolId: str
    balance: Decimal
    openingBalance: Decimal
    programId: str


@dataclass(frozen=True)
class Caller:
    """The authenticated API client, as the request authorizer resolved it."""

    clientId: str
    programIds: frozenset[str]
    role: ClientRole = ClientRole.ISSUER

    def may_access(self, program_id: str) -> bool:
        return program_id in self.programIds
