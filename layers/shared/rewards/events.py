"""Committed events, schema v1: one model per event type, written by the use case that commits the
outcome, stored by the ledger adapter with it, and read back by the notifier from the table's
stream (docs/notifications.md). What the SNS topic carries is the model's JSON.

Amounts and points are strings of decimals; ``data`` never holds a card number (``lastFour`` at
most); new fields may appear in ``data`` without a new ``schemaVersion``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION: Literal[1] = 1

PWR_AUTHORIZATION_PROCESSED: Literal["pwr.authorization.processed"] = "pwr.authorization.processed"
DR_REDEMPTION_CREATED: Literal["dr.redemption.created"] = "dr.redemption.created"
DR_REDEMPTION_CREDITED: Literal["dr.redemption.credited"] = "dr.redemption.credited"
DR_STATEMENT_CREDIT_RECORDED: Literal["dr.statement_credit.recorded"] = "dr.statement_credit.recorded"
REBATE_SENT: Literal["rebate.sent"] = "rebate.sent"
REBATE_POSTED: Literal["rebate.posted"] = "rebate.posted"
REBATE_REJECTED: Literal["rebate.rejected"] = "rebate.rejected"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class _Event(_Model):
    schemaVersion: Literal[1] = SCHEMA_VERSION
    eventId: str = Field(min_length=1)
    occurredAt: str
    programId: str
    clientId: str | None = None

    def message(self) -> str:
        """The JSON the topic publishes."""
        return self.model_dump_json()

    def attributes(self) -> dict[str, str]:
        """SNS message attributes subscribers can filter on (absent values are left out)."""
        values = {
            "eventType": getattr(self, "eventType", ""),
            "programId": self.programId,
            "clientId": self.clientId,
            "schemaVersion": str(self.schemaVersion),
        }
        return {name: value for name, value in values.items() if value}


class AuthorizationProcessedData(_Model):
    authorizationId: str
    externalId: str | None = None
    origin: Literal["CLIENT", "NETWORK"]
    accountId: str
    lastFour: str
    programId: str
    authRewardsServiceType: str
    responseReasonId: str
    responseReasonDesc: str
    detail: str
    pwrOn: bool
    pointsRedeemed: str
    cashBackAmount: str
    totalPointsRequired: str | None = None
    partiallyRedeemed: bool
    pointBalance: str
    amount: str
    currency: str
    merchant: str
    occurredAt: str


class AuthorizationProcessed(_Event):
    """A processed PWR authorization: at first processing, and again when it is reprocessed."""

    eventType: Literal["pwr.authorization.processed"] = PWR_AUTHORIZATION_PROCESSED
    data: AuthorizationProcessedData


class RedemptionCreatedData(_Model):
    id: str
    redemptionType: str
    accountId: str
    lastFour: str
    redemptionIds: list[int]
    pointsRedeemed: str
    cashEquivalent: str
    currencyCode: str
    pointBalance: str
    externalId: str | None = None
    occurredAt: str


class RedemptionCreated(_Event):
    eventType: Literal["dr.redemption.created"] = DR_REDEMPTION_CREATED
    data: RedemptionCreatedData


class RedemptionCreditedData(_Model):
    creditId: str
    redemptionId: int
    accountId: str
    pointsCredited: str
    remainingCreditablePoints: str
    pointBalance: str
    occurredAt: str


class RedemptionCredited(_Event):
    eventType: Literal["dr.redemption.credited"] = DR_REDEMPTION_CREDITED
    data: RedemptionCreditedData


class StatementCreditRecordedData(_Model):
    id: str
    externalId: str
    clientId: str
    paymentAuthId: str
    accountId: str
    pointsRedeemed: str
    cashBackAmount: str
    reasonCode: str
    description: str | None = None
    recordedAt: str


class StatementCreditRecorded(_Event):
    eventType: Literal["dr.statement_credit.recorded"] = DR_STATEMENT_CREDIT_RECORDED
    data: StatementCreditRecordedData


class RebateFileData(_Model):
    fileId: str
    clientId: str
    businessDate: str
    lines: int
    totals: dict[str, str]  # currency -> cash amount


class RebateSent(_Event):
    """A settlement file was written: its rebates are SENT (one event per file, not per line)."""

    eventType: Literal["rebate.sent"] = REBATE_SENT
    data: RebateFileData


class RebatesPostedData(RebateFileData):
    acknowledgement: str  # the acknowledgement file's object key


class RebatePosted(_Event):
    """An acknowledgement file marked rebates POSTED (one event per acknowledgement file)."""

    eventType: Literal["rebate.posted"] = REBATE_POSTED
    data: RebatesPostedData


class RebateRejectedData(_Model):
    reference: str
    fileId: str
    accountId: str
    lastFour: str
    cashAmount: str
    currency: str
    pointsCredited: str
    pointBalance: str
    reason: str | None = None
    occurredAt: str


class RebateRejected(_Event):
    """The issuer refused one rebate: its points went back to the pool (a REBATE_REJECTED credit)."""

    eventType: Literal["rebate.rejected"] = REBATE_REJECTED
    data: RebateRejectedData


CommittedEvent = Annotated[
    AuthorizationProcessed
    | RedemptionCreated
    | RedemptionCredited
    | StatementCreditRecorded
    | RebateSent
    | RebatePosted
    | RebateRejected,
    Field(discriminator="eventType"),
]
EVENT: TypeAdapter[CommittedEvent] = TypeAdapter(CommittedEvent, config=ConfigDict(defer_build=True))
