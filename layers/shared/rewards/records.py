"""What the use cases hand the ledger to commit, and what it gives back: domain records, with no
storage keys or item shapes (those are the ledger adapter's, ``adapters/ledger_items.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from rewards.domain import Account, PointPool
from rewards.events import AuthorizationProcessed, RedemptionCreated, RedemptionCredited, StatementCreditRecorded
from rewards.ids import new_uuid
from rewards.models.dr import CreditResponse, RedemptionResponse
from rewards.models.pwr import Authorization, AuthorizationFields
from rewards.money import plain
from rewards.rules.pipeline import Decision
from rewards.rules.reasons import Detail, ReasonCode

OriginKind = Literal["CLIENT", "NETWORK"]
MovementKind = Literal["DEBIT", "CREDIT"]


# -- movements of points ------------------------------------------------------------------------
@dataclass(frozen=True)
class BankCommit:
    """A movement a client's point bank committed (``adapters/bank_ledger.py``): the pool mirrors
    the bank's balance after it, and the commit resolves the intent recorded before the call."""

    business_key: str
    bank_key: str  # the Idempotency-Key the bank holds the movement under
    balance_after: Decimal


@dataclass(frozen=True)
class Movement:
    """A change of a pool's balance: DEBIT (points leave) or CREDIT (points come back). It is
    conditioned on the balance the request read, so the balance after it is exact."""

    pool_id: str
    points: Decimal
    cash: Decimal
    currency: str
    account_id: str
    source: str  # PWR_AUTHORIZATION, PWR_REPROCESS, DR_REDEMPTION, DR_CREDIT
    reference: str
    kind: MovementKind = "DEBIT"
    entry_id: str = field(default_factory=new_uuid)
    bank: BankCommit | None = None  # set by the external bank's ledger, never by a use case


@dataclass(frozen=True)
class LedgerEntry:
    entry_id: str
    kind: MovementKind
    points: Decimal
    source: str
    reference: str
    account_id: str


# -- PWR authorizations ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Origin:
    kind: OriginKind
    client_id: str | None

    def business_key(self, external_id: str) -> str:
        """The permanent key of one authorization: the network reference, or client + externalId."""
        if self.kind == "NETWORK":
            return f"NET#{external_id}"
        return f"EXT#{self.client_id}#{external_id}"


@dataclass(frozen=True)
class Outcome:
    """What the pipeline decided for an authorization, as recorded on it."""

    reason: ReasonCode
    detail: Detail
    points: Decimal
    cash: Decimal
    required: Decimal | None
    factor: Decimal | None
    currency: str | None
    partial: bool

    @classmethod
    def of(cls, decision: Decision) -> Outcome:
        conversion = decision.conversion
        return cls(
            reason=decision.reason,
            detail=decision.detail,
            points=decision.pointsRedeemed,
            cash=decision.cashBackAmount,
            required=decision.totalPointsRequired,
            factor=conversion.points_per_unit if conversion else None,
            currency=conversion.currency if conversion else None,
            partial=decision.partiallyRedeemed,
        )


@dataclass(frozen=True)
class Reprocessed:
    reprocess_id: str
    by: str
    at: str
    client_id: str


@dataclass(frozen=True)
class StoredAuthorization:
    """A processed authorization as the ledger keeps it. ``first_reason`` is the outcome of its first
    processing: what a replay of the request answers, whatever happened to it since."""

    id: str
    business_key: str
    external_id: str
    account_id: str
    pool_id: str
    program_id: str
    client_id: str | None
    origin: OriginKind
    service_type: str
    fields: AuthorizationFields  # keyed by RANAC, without card numbers
    outcome: Outcome
    first_reason: ReasonCode
    processed_at: str
    reprocessed: Reprocessed | None = None
    statement_credit: dict[str, Any] | None = None

    def record(self) -> Authorization:
        """The Mastercard ``Authorization`` model of its current state."""
        return authorization_view(self.id, self.external_id, self.fields, self.outcome, self.reprocessed)

    def first_record(self) -> Authorization:
        """The record as the first answer gave it (its first outcome code)."""
        return self.record().model_copy(
            update={"responseReasonId": self.first_reason.value, "responseReasonDesc": self.first_reason.description}
        )


def authorization_view(
    auth_id: str, external_id: str, fields: AuthorizationFields, outcome: Outcome, reprocessed: Reprocessed | None
) -> Authorization:
    moment = fields.transactionDateAndTime
    return Authorization(
        id=auth_id,
        externalId=external_id,
        reprocessId=reprocessed.reprocess_id if reprocessed else None,
        reprocessedBy=reprocessed.by if reprocessed else None,
        reprocessedDateTime=reprocessed.at if reprocessed else None,
        de004TransactionAmount=fields.transactionAmount,
        de005IssuerCurrencySettlementAmount=fields.issuerSettlementAmount,
        de006CardholderBillingAmount=fields.cardholderBillingAmount,
        de012TransactionTime=moment.strftime("%H%M%S"),
        de013TransactionDate=moment.strftime("%m%d"),
        de018MerchantCode=fields.merchantCategoryCode,
        de032AcquiringInstitutionIdCode=fields.acquiringInstitutionIdCode,
        de039ResponseCode=fields.responseCode or "00",
        de042CardAcceptorIdCode=fields.cardAcceptorIdCode,
        de043CardAcceptorNameLocation=fields.cardAcceptorNameAndLocation,
        de048TCC=fields.transactionCategoryCode,
        de049TransactionCurrencyCode=fields.transactionCurrencyCode,
        de050SettlementCurrencyCode=fields.reconciliationCurrencyCode,
        de051CardholderBillingCurrencyCode=fields.cardholderBillingCurrencyCode,
        merchantCountry=fields.merchantCountry or fields.pointOfSaleCountryCode,
        responseReasonId=outcome.reason.value,
        responseReasonDesc=outcome.reason.description,
        pointsRedeemed=plain(outcome.points),
        cashBackAmount=outcome.cash,
        totalPointsRequired=outcome.required,
        pointConversionFactor=outcome.factor,
        pointConversionCurrency=outcome.currency,
        partiallyRedeemed=outcome.partial,
    )


@dataclass(frozen=True)
class NewAuthorization:
    """One authorization to commit: the record, the pool the decision read, the debit (if it
    redeemed), the SNGL account to turn OFF (pinned at its version), and the committed event."""

    authorization: StoredAuthorization
    account: Account
    business_date: date
    pool_seen: PointPool
    movement: Movement | None
    turn_off: bool
    event: AuthorizationProcessed
    commit_token: str


@dataclass(frozen=True)
class NewReprocess:
    """A post-purchase redemption of a recorded authorization: from ``expected_reason`` only, once.
    ``updated`` is the authorization as the commit leaves it."""

    updated: StoredAuthorization
    expected_reason: ReasonCode
    pool_seen: PointPool
    movement: Movement
    event: AuthorizationProcessed
    commit_token: str


@dataclass(frozen=True)
class AuthorizationQuery:
    """GET /authorizations: one account's authorizations whose business date is in [first, last]."""

    account_id: str
    first: date
    last: date
    categories: frozenset[str]  # R, E, I
    include_reprocessed: bool
    limit: int
    start: str | None = None  # where the previous page stopped (opaque)


@dataclass(frozen=True)
class AuthorizationPage:
    authorizations: list[StoredAuthorization]
    next_start: str | None = None


# -- statement credits (PWR integration model 2) ---------------------------------------------------
@dataclass(frozen=True)
class NewStatementCredit:
    key: str  # the externalId's business key
    credit_id: str
    authorization_id: str
    account_id: str
    reprocessed: bool  # the authorization was reprocessed (its history partition)
    client_id: str
    reason: ReasonCode
    points: Decimal
    cash: Decimal
    credit: dict[str, Any]  # what the authorization keeps of it
    fingerprint: str
    response: RedemptionResponse
    event: StatementCreditRecorded
    commit_token: str


# -- Digital Redemptions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FulfilmentReport:
    """The fulfilment partner's last report on a line (Update Redemption Status)."""

    status: str  # rules/fulfilment.py FulfilmentStatus
    back_order_date: str | None  # ISO date, with status B only
    reported_at: str


@dataclass(frozen=True)
class RedemptionLine:
    """One line of a DR redemption, creditable up to its points."""

    redemption_id: int
    request_id: str
    item_id: str
    redemption_type: str
    account_id: str
    pool_id: str
    program_id: str
    client_id: str
    created_at: str
    points: Decimal
    credited: Decimal
    cash: Decimal
    currency: str
    quantity: int
    processed_by: str | None = None
    external_id: str | None = None
    matrix_item_id: str | None = None
    redemption_item_id: str | None = None
    description: str | None = None
    details: dict[str, Any] | None = None  # additionalDetails, the cashback account, the booking
    fulfilment: FulfilmentReport | None = None

    @property
    def creditable(self) -> Decimal:
        return self.points - self.credited


@dataclass(frozen=True)
class StoredRequest:
    """A committed request, as a replay answers it: the request's fingerprint and its answer."""

    request_id: str
    fingerprint: str
    response_json: str


@dataclass(frozen=True)
class NewRedemption:
    keys: dict[str, str]  # role (unique, idempotency) -> business key
    lines: list[RedemptionLine]
    fingerprint: str
    response: RedemptionResponse
    business_date: date
    pool_seen: PointPool
    movement: Movement
    event: RedemptionCreated
    commit_token: str


@dataclass(frozen=True)
class CreditEntry:
    """One credit (reversal) of a redemption line."""

    credit_id: str
    line: RedemptionLine
    points: Decimal
    total_credited: Decimal
    cash: Decimal
    description: str | None
    client_id: str
    created_at: str


@dataclass(frozen=True)
class NewCredit:
    credit: CreditEntry
    key: str | None  # Idempotency-Key's business key
    fingerprint: str
    response: CreditResponse
    business_date: date
    pool_seen: PointPool
    movement: Movement
    event: RedemptionCredited
    commit_token: str


@dataclass(frozen=True)
class HistoryEntry:
    """A redemption line or a credit, as the DR history lists them."""

    kind: Literal["REDEMPTION", "CREDIT"]
    line: RedemptionLine
    credit: CreditEntry | None = None


@dataclass(frozen=True)
class RedemptionHistoryQuery:
    account_id: str
    first: date
    last: date
    limit: int
    start: str | None = None
    client_id: str | None = None  # a merchant sees its own entries only


@dataclass(frozen=True)
class RedemptionHistoryPage:
    entries: list[HistoryEntry]
    next_start: str | None = None


# -- the audit -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PoolLedger:
    """A pool and every ledger entry of it (``tools.check_ledger``)."""

    pool: PointPool | None
    total_debits: Decimal
    total_credits: Decimal
    entries: list[LedgerEntry]


@dataclass(frozen=True)
class EventSource:
    """Where a committed event lives, as its stream record named it (opaque to the notifier)."""

    key: tuple[str, str]
