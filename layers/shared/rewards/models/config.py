"""Configuration documents: programs, clients and cardholders (validated on load)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rewards.domain import (
    AccountStatus,
    ClientRole,
    HouseholdRole,
    RedemptionFrequency,
)
from rewards.models.text import NO_CARD_NUMBER, NoCardNumber
from rewards.money import RoundingMethod
from rewards.rules.dates import is_time_zone
from rewards.rules.reasons import ReasonCode

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
PositiveRate = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=6)]
Mcc = Annotated[str, Field(pattern=r"^\d{4}$")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
ProgramId = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9_-]+$")]
MerchantId = NoCardNumber  # a configured card acceptor id: incoming ones are masked, so it could never match


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Tier(Strict):
    """A tier applies to amounts above ``fromAmount`` (the first tier also covers 0) and to the whole amount."""

    fromAmount: Money = Decimal(0)
    costPerPoint: PositiveRate


class ConversionRule(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100), NO_CARD_NUMBER] = "Base"
    currencyCode: Currency | None = None
    tiers: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiers_ascending(self) -> Self:
        starts = [tier.fromAmount for tier in self.tiers]
        if starts != sorted(set(starts)) or starts[0] != 0:
            raise ValueError("tiers must start at fromAmount 0 and ascend without repeats")
        return self

    def cost_per_point(self, amount: Decimal) -> Decimal:
        chosen = self.tiers[0]
        for tier in self.tiers[1:]:
            if amount > tier.fromAmount:
                chosen = tier
        return chosen.costPerPoint


class OverrideCategory(StrEnum):
    """Override kinds (their precedence is OVERRIDE_PRECEDENCE)."""

    MERCHANT = "MERCHANT"  # card acceptor ids or merchant groups
    MCC = "MCC"
    ACCOUNT_RANGE = "ACCOUNT_RANGE"  # the card's issuer identification number (first six digits) in a range
    BANK_PRODUCT = "BANK_PRODUCT"
    CROSS_BORDER = "CROSS_BORDER"  # merchant country differs from issuer country


# Most specific first (PRODUCT.md §3.3): the first category with a matching rule gives the cost per point.
OVERRIDE_PRECEDENCE: tuple[OverrideCategory, ...] = (
    OverrideCategory.MERCHANT,
    OverrideCategory.MCC,
    OverrideCategory.ACCOUNT_RANGE,
    OverrideCategory.BANK_PRODUCT,
    OverrideCategory.CROSS_BORDER,
)
Bin = Annotated[str, Field(pattern=r"^\d{6}$")]


class AccountRange(Strict):
    """Cards whose first six digits lie between ``fromBin`` and ``toBin`` (both included). Only the
    first six and the last four digits of a card are kept (docs/security.md), so a range is of those."""

    fromBin: Bin
    toBin: Bin

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.fromBin > self.toBin:
            raise ValueError("fromBin must not be above toBin")
        return self

    def contains(self, card_bin: str) -> bool:
        return self.fromBin <= card_bin <= self.toBin


class OverrideRule(ConversionRule):
    category: OverrideCategory
    cardAcceptorIds: list[MerchantId] = Field(default_factory=list)
    merchantGroups: list[str] = Field(default_factory=list)
    mccs: list[Mcc] = Field(default_factory=list)
    bankProductCodes: list[Annotated[str, Field(min_length=1, max_length=10)]] = Field(default_factory=list)
    accountRanges: list[AccountRange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_selector(self) -> Self:
        needs = {
            OverrideCategory.MERCHANT: bool(self.cardAcceptorIds or self.merchantGroups),
            OverrideCategory.MCC: bool(self.mccs),
            OverrideCategory.ACCOUNT_RANGE: bool(self.accountRanges),
            OverrideCategory.BANK_PRODUCT: bool(self.bankProductCodes),
            OverrideCategory.CROSS_BORDER: True,
        }
        if not needs[self.category]:
            raise ValueError(f"a {self.category.value} override needs at least one value to match")
        return self


class IncludeExclude(Strict):
    """An inclusive or an exclusive list, never both (seed: they cannot be used together)."""

    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.include and self.exclude:
            raise ValueError("inclusive and exclusive lists cannot be used together")
        return self

    def allows(self, value: str) -> bool:
        if self.include:
            return value in self.include
        return value not in self.exclude


class MerchantFilter(Strict):
    """Only purchases at these card acceptors or merchant groups are eligible."""

    cardAcceptorIds: list[MerchantId] = Field(default_factory=list)
    merchantGroups: list[str] = Field(default_factory=list)


class ProgramFilters(Strict):
    minPurchaseAmount: Money | None = None  # the amount must exceed it
    maxPurchaseAmount: Money | None = None
    mcc: IncludeExclude = IncludeExclude()
    merchantCountry: IncludeExclude = IncludeExclude()
    merchants: MerchantFilter | None = None


class PartialRedemption(Strict):
    enabled: bool = False
    cashIncrement: Money = Decimal("0.01")

    @model_validator(mode="after")
    def _positive_increment(self) -> Self:
        if self.enabled and self.cashIncrement <= 0:
            raise ValueError("cashIncrement must be positive when partial redemption is enabled")
        return self


class EmailSwitches(Strict):
    successfulRedemption: bool = True
    insufficientBalance: bool = True
    belowProgramThreshold: bool = True
    rebateRejected: bool = True  # the issuer refused a rebate: the points are back (docs/settlement.md)


class RewardItemType(StrEnum):
    CASHBACK = "CASHBACK"
    MERCHANDISE = "MERCHANDISE"
    TRAVEL = "TRAVEL"  # a travel component item
    EXTERNAL = "EXTERNAL"  # the generic item for externally hosted catalogs (cost-per-point model)


ItemId = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")]


class RewardItem(Strict):
    type: RewardItemType
    description: Annotated[str, Field(min_length=1, max_length=160), NO_CARD_NUMBER]
    costPerPoint: PositiveRate  # cash value of one point for this item
    currencyCode: Currency | None = None  # defaults to the program currency


class MatrixItem(RewardItem):
    redemptionMatrixItemId: ItemId


class RedemptionItem(RewardItem):
    redemptionItemId: ItemId


class RewardCatalog(Strict):
    """Digital Redemptions reward matrix (``redemptionMatrixItemId``) and redemption items (``redemptionItemId``)."""

    matrixItems: list[MatrixItem] = Field(default_factory=list)
    redemptionItems: list[RedemptionItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        for name, ids in (
            ("redemptionMatrixItemId", [i.redemptionMatrixItemId for i in self.matrixItems]),
            ("redemptionItemId", [i.redemptionItemId for i in self.redemptionItems]),
        ):
            if len(ids) != len(set(ids)):
                raise ValueError(f"duplicate {name} in the catalog")
        return self

    def matrix_item(self, item_id: str) -> MatrixItem | None:
        return next((i for i in self.matrixItems if i.redemptionMatrixItemId == item_id), None)

    def redemption_item(self, item_id: str) -> RedemptionItem | None:
        return next((i for i in self.redemptionItems if i.redemptionItemId == item_id), None)


class PointBankType(StrEnum):
    INTERNAL = "INTERNAL"  # the points are held here, in the program's pools (integration models 1 and 2)
    EXTERNAL = "EXTERNAL"  # the client's point bank holds them (model 3, docs/point-bank.md)


class PointBankSetting(Strict):
    """Where a program's points are held. EXTERNAL: every balance read and every debit and credit
    goes to the client's point bank at ``baseUrl``, signed with the engine's key under ``clientId``
    (the consumer key the bank registered for the engine)."""

    type: PointBankType = PointBankType.INTERNAL
    baseUrl: Annotated[str, Field(max_length=300, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")] | None = None
    clientId: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    timeoutSeconds: Annotated[Decimal, Field(gt=0, le=10)] = Decimal("2")  # per attempt: connect and read
    attempts: Annotated[int, Field(ge=1, le=5)] = 3
    breakerThreshold: Annotated[int, Field(ge=1, le=100)] = 3
    breakerOpenSeconds: Annotated[int, Field(ge=1, le=3600)] = 30

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.type is PointBankType.EXTERNAL and (self.baseUrl is None or self.clientId is None):
            raise ValueError("an EXTERNAL pointBank needs baseUrl and clientId")
        if self.type is PointBankType.INTERNAL and (self.baseUrl is not None or self.clientId is not None):
            raise ValueError("baseUrl and clientId are only for an EXTERNAL pointBank")
        return self

    @property
    def external(self) -> bool:
        return self.type is PointBankType.EXTERNAL


class Program(Strict):
    programId: ProgramId
    programName: Annotated[str, Field(min_length=1, max_length=100), NO_CARD_NUMBER]
    pointsName: Annotated[str, Field(min_length=1, max_length=50), NO_CARD_NUMBER] = "Points"
    currencyCode: Currency
    authRewardsServiceType: str = Field(default="PWR", min_length=1, max_length=10)
    timeZone: str = Field(default="UTC", max_length=64, description="IANA zone of the program's business dates")
    filters: ProgramFilters = ProgramFilters()
    merchantGroups: dict[str, list[MerchantId]] = Field(default_factory=dict)
    baseConversion: ConversionRule
    overrides: list[OverrideRule] = Field(default_factory=list)
    roundingMethod: RoundingMethod = RoundingMethod.NATURAL
    wholePointsOnly: bool = False
    redemptionMinimumCash: Money = Decimal(0)
    partialRedemption: PartialRedemption = PartialRedemption()
    reprocessableReasonCodes: list[str] = Field(
        default_factory=lambda: [ReasonCode.ELIGIBLE.value, ReasonCode.INSUFFICIENT_POINTS.value]
    )
    emails: EmailSwitches = EmailSwitches()
    catalog: RewardCatalog = RewardCatalog()
    rebateDescriptor: Annotated[str, Field(min_length=1, max_length=22), NO_CARD_NUMBER] = "Points rebate"
    pointBank: PointBankSetting = PointBankSetting()
    issuerClientId: str | None = Field(
        default=None, description="set by the configuration loader: the ISSUER client listing this program"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not is_time_zone(self.timeZone):
            raise ValueError(f"timeZone {self.timeZone} is not an IANA time zone (e.g. UTC, America/New_York)")
        filters = self.filters
        if (
            filters.minPurchaseAmount is not None
            and filters.maxPurchaseAmount is not None
            and filters.minPurchaseAmount >= filters.maxPurchaseAmount
        ):
            raise ValueError("filters.minPurchaseAmount must be below filters.maxPurchaseAmount")
        known = set(self.merchantGroups)
        used = set(filters.merchants.merchantGroups if filters.merchants else [])
        for rule in self.overrides:
            used.update(rule.merchantGroups)
        if missing := sorted(used - known):
            raise ValueError(f"unknown merchant group(s): {', '.join(missing)}")
        return self

    def in_merchant_groups(self, card_acceptor_id: str, groups: list[str]) -> bool:
        return any(card_acceptor_id in self.merchantGroups.get(group, []) for group in groups)


class ConsumerKey(Strict):
    consumerKey: str = Field(min_length=1, max_length=200)
    publicKeyPem: str = Field(min_length=1)
    active: bool = True


class Webhook(Strict):
    """Auth Notifier: where a client receives processed authorizations, and the SSM SecureString
    (under the stack's webhook secret prefix) holding the HMAC key that signs them."""

    url: str = Field(max_length=500, pattern=r"^https?://[^\s/?#]+[^\s]*$")
    secretParameterName: str = Field(min_length=2, max_length=200, pattern=r"^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
    enabled: bool = True

    @model_validator(mode="after")
    def _https_outside_this_machine(self) -> Self:
        host = self.url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].lower()
        if self.url.startswith("http://") and host not in ("127.0.0.1", "localhost"):
            raise ValueError("webhook url must use https (http only for 127.0.0.1 or localhost)")
        return self


class Settlement(Strict):
    """When an issuer's business day closes for rebates (docs/settlement.md): at ``cutOffTime`` in
    ``timeZone``. A rebate committed at or after the cut-off belongs to the next business day."""

    cutOffTime: str = Field(default="00:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, 24-hour")
    timeZone: str = Field(default="UTC", max_length=64)
    lateDays: int = Field(default=7, ge=1, le=31, description="earlier days a file picks late rebates up from")
    postingDays: int = Field(default=5, ge=1, le=60, description="days a sent rebate may wait for its POSTED")

    @model_validator(mode="after")
    def _zone(self) -> Self:
        if not is_time_zone(self.timeZone):
            raise ValueError(f"timeZone {self.timeZone} is not an IANA time zone (e.g. UTC, America/New_York)")
        return self


class Client(Strict):
    clientId: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: Annotated[str, Field(min_length=1, max_length=100), NO_CARD_NUMBER]
    role: ClientRole = ClientRole.ISSUER
    active: bool = True
    programIds: list[ProgramId] = Field(min_length=1)
    consumerKeys: list[ConsumerKey] = Field(default_factory=list, max_length=2)
    webhook: Webhook | None = None
    settlement: Settlement = Settlement()


class PreferencesDoc(Strict):
    model_config = ConfigDict(defer_build=True)  # the configuration loader's; no function uses it

    redemptionFrequency: RedemptionFrequency = RedemptionFrequency.OFF
    minAccountPurchaseThreshold: Money | None = None
    fixedAccountRedemptionAmount: Annotated[Money, Field(gt=0)] | None = None  # as the PUT API: a $0 credit is none
    receiveEmailSw: bool = False
    receiveSMSSw: bool = False
    emailAddress: Annotated[str, Field(max_length=120), NO_CARD_NUMBER] | None = None
    smsNumber: str | None = Field(default=None, max_length=25)


class AccountDoc(Strict):
    model_config = ConfigDict(defer_build=True)  # the configuration loader's; no function uses it

    accountId: Annotated[
        str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9]+$", description="RANAC"), NO_CARD_NUMBER
    ]
    cardNumber: str = Field(pattern=r"^\d{12,19}$", description="BAN; stored only as a keyed hash + last four")
    programId: ProgramId
    status: AccountStatus = AccountStatus.GOOD_STANDING
    householdId: Annotated[str, Field(min_length=1, max_length=40), NO_CARD_NUMBER] | None = None
    householdRole: HouseholdRole | None = None
    openingBalance: Annotated[Decimal, Field(ge=0)] | None = None
    bankProductCode: str | None = Field(default=None, max_length=10)
    preferences: PreferencesDoc = PreferencesDoc()

    @model_validator(mode="after")
    def _pool(self) -> Self:
        if self.householdId is None and self.openingBalance is None:
            raise ValueError("an account outside a household needs openingBalance")
        if self.householdId is not None and self.openingBalance is not None:
            raise ValueError("a household account's balance belongs to the household (drop openingBalance)")
        if self.householdId is not None and self.householdRole is None:
            raise ValueError("householdRole is required with householdId")
        return self


class UserDoc(Strict):
    model_config = ConfigDict(defer_build=True)  # the configuration loader's; no function uses it

    userId: Annotated[str, Field(min_length=1, max_length=30), NO_CARD_NUMBER]
    bankCustomerNumber: str | None = Field(default=None, max_length=30)
    randomCustomerId: str | None = Field(
        default=None, min_length=1, max_length=30, pattern=r"^[A-Za-z0-9]+$", description="RANCU"
    )
    accounts: list[AccountDoc] = Field(min_length=1)


class HouseholdDoc(Strict):
    model_config = ConfigDict(defer_build=True)  # the configuration loader's; no function uses it

    householdId: Annotated[str, Field(min_length=1, max_length=40), NO_CARD_NUMBER]
    programId: ProgramId
    openingBalance: Annotated[Decimal, Field(ge=0)]


class ConfigurationDocument(Strict):
    """The whole document the configuration loader accepts (YAML or JSON)."""

    model_config = ConfigDict(defer_build=True)  # built on the loader's first use, never in a function

    programs: list[Program] = Field(default_factory=list)
    clients: list[Client] = Field(default_factory=list)
    households: list[HouseholdDoc] = Field(default_factory=list)
    users: list[UserDoc] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Self:
        program_ids = {p.programId for p in self.programs}
        household_ids = {h.householdId: h for h in self.households}
        for client in self.clients:
            for pid in client.programIds:
                if pid not in program_ids:
                    raise ValueError(f"client {client.clientId}: unknown programId {pid}")
        for household in self.households:
            if household.programId not in program_ids:
                raise ValueError(f"household {household.householdId}: unknown programId {household.programId}")
        seen: set[str] = set()
        for user in self.users:
            for account in user.accounts:
                if account.accountId in seen:
                    raise ValueError(f"duplicate accountId {account.accountId}")
                seen.add(account.accountId)
                if account.programId not in program_ids:
                    raise ValueError(f"account {account.accountId}: unknown programId {account.programId}")
                if account.householdId is not None:
                    account_household = household_ids.get(account.householdId)
                    if account_household is None:
                        raise ValueError(f"account {account.accountId}: unknown householdId {account.householdId}")
                    if account_household.programId != account.programId:
                        raise ValueError(f"account {account.accountId}: household is in another program")
        return self

    @model_validator(mode="after")
    def _one_issuer_per_program(self) -> Self:
        """Rebates are settled with the program's ISSUER client: a program has at most one."""
        issuers: dict[str, str] = {}
        for client in self.clients:
            for pid in client.programIds if client.role is ClientRole.ISSUER else []:
                if pid in issuers:
                    raise ValueError(f"program {pid} has two ISSUER clients ({issuers[pid]}, {client.clientId})")
                issuers[pid] = client.clientId
        return self

    def issuer_of(self, program_id: str) -> str | None:
        """The ISSUER client that lists the program (rebates are settled with it), if any."""
        for client in self.clients:
            if client.role is ClientRole.ISSUER and program_id in client.programIds:
                return client.clientId
        return None
