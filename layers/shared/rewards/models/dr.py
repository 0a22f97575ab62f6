"""Digital Redemptions API models (seed 003 field names): one request discriminated by
``redemptionType``, the redemption response, credits (reversals) and history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, TypeAdapter, model_validator

from rewards.models.pwr import REBATE_FIELD, JsonNumber, RebateState, Request, Response, absent, extension, narrowed
from rewards.models.text import MASKED, NO_CARD_NUMBER

Points = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=4)]
Cash = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
NonNegativeCash = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
ItemReference = Annotated[str, Field(min_length=1, max_length=20)]
UserId = Annotated[str, Field(min_length=1, max_length=30)]
ExternalId = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_.:-]+$"), NO_CARD_NUMBER]
Text160 = Annotated[str, Field(max_length=160), MASKED]
Short = Annotated[str, Field(min_length=1, max_length=50), MASKED]
Quantity = Annotated[int, Field(ge=1, le=999)]

MAX_ITEMS = 25


class AdditionalDetails(Request):
    """Present on a line => the item is hosted in an external catalog (seed: external item redemption)."""

    sourceItemId: Short | None = None
    merchantPartnerId: Short | None = None
    merchantId: Short | None = None
    itemSkuCode: Annotated[str, Field(max_length=50), MASKED] | None = (
        None  # required, checked by the rules (ReasonCode -1)
    )
    redemptionCategory: Short | None = None
    redemptionSubCategory: Short | None = None
    promotionId: Short | None = None


class CatalogLine(Request):
    """A MERCHANDISE or TRAVEL line: points only, cash only, or both (checked under the program rounding)."""

    redemptionMatrixItemId: ItemReference | None = None
    redemptionItemId: ItemReference | None = None
    pointsRedeemed: Points | None = None  # line total
    cashEquivalent: Cash | None = None  # line total; the seed sends it as a string ("10")
    paymentOption: Literal["POINTS_ONLY"] | None = None
    description: Text160 | None = None
    quantity: Quantity = 1
    additionalDetails: AdditionalDetails | None = Field(
        default=None, description="An externally hosted item (seed 003: MERCHANDISE; extension for TRAVEL lines)."
    )

    @model_validator(mode="after")
    def _reference_and_amount(self) -> CatalogLine:
        if self.redemptionItemId is None and self.redemptionMatrixItemId is None:
            raise ValueError("redemptionItemId or redemptionMatrixItemId is required")
        if self.pointsRedeemed is None and self.cashEquivalent is None:
            raise ValueError("pointsRedeemed or cashEquivalent is required")
        return self


class MerchandiseLine(CatalogLine):
    paymentOption: Literal["POINTS_ONLY"]  # mandatory for MERCHANDISE (seed)


class CashbackLine(Request):
    """CASHBACK uses pointsRedeemed + redemptionMatrixItemId only (seed)."""

    redemptionMatrixItemId: ItemReference
    pointsRedeemed: Points
    cashbackAmount: Cash
    description: Text160 | None = None
    quantity: Quantity = Field(default=1, **extension("as on other lines; the seed lists no quantity for CASHBACK."))


class RedemptionBase(Request):
    userId: UserId  # RANAC
    userIdType: Literal["RANAC"]
    processedBy: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    description: Text160 | None = Field(
        default=None, description="Of the redemption (seed 003 lists it for CASHBACK; extension for the others)."
    )


class CashbackRedemption(RedemptionBase):
    redemptionType: Literal["CASHBACK"]
    items: list[CashbackLine] = Field(min_length=1, max_length=MAX_ITEMS)
    cashbackAccountId: UserId  # RANAC that receives the cashback
    externalId: ExternalId | None = Field(default=None, **extension("the client's key, as TRAVEL's externalId."))


class MerchandiseRedemption(RedemptionBase):
    redemptionType: Literal["MERCHANDISE"]
    items: list[MerchandiseLine] = Field(min_length=1, max_length=MAX_ITEMS)
    sourceCode: Annotated[str, Field(min_length=1, max_length=3)] | None = None
    externalId: ExternalId | None = Field(default=None, **extension("the client's key, as TRAVEL's externalId."))


class TravelRedemption(RedemptionBase):
    redemptionType: Literal["TRAVEL"]
    totalCashValue: Cash  # the booking's cash value (recorded)
    pointsRedeemed: Points | None = None  # the booking's points; must cover the lines
    currencyCode: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    externalId: ExternalId | None = None
    sourceCode: Annotated[str, Field(min_length=1, max_length=3)] | None = None
    items: list[CatalogLine] = Field(min_length=1, max_length=MAX_ITEMS)


class StatementCredit(Request):
    """PWR integration model 2: the client redeemed in its own point bank; record it on the authorization."""

    redemptionType: Literal["STATEMENT_CREDIT"] = Field(
        max_length=30, **narrowed("Mastercard: at most 30 characters, use STATEMENT_CREDIT; required here.")
    )
    userId: UserId
    userIdType: Literal["RANAC"] = Field(
        default="RANAC", max_length=5, **narrowed("Mastercard: at most 5 characters, e.g. RANAC; RANAC only.")
    )
    paymentAuthId: Annotated[str, Field(min_length=1, max_length=38)]
    externalId: ExternalId = Field(
        **narrowed("Mastercard: 1-20 characters; letters, digits and _ . : - (it is the idempotency key).")
    )
    pointsRedeemed: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4)]
    cashBackAmount: NonNegativeCash
    reasonCode: Annotated[str, Field(min_length=1, max_length=5)]
    description: Text160 | None = None
    processedBy: Annotated[str, Field(min_length=1, max_length=10)] | None = Field(
        default=None, **extension("who recorded it, as on DR redemptions.")
    )


PointsRedemption = CashbackRedemption | MerchandiseRedemption | TravelRedemption
RedemptionRequest = Annotated[
    CashbackRedemption | MerchandiseRedemption | TravelRedemption | StatementCredit,
    Field(discriminator="redemptionType"),
]
REDEMPTION_REQUEST: TypeAdapter[PointsRedemption | StatementCredit] = TypeAdapter(
    RedemptionRequest, config=ConfigDict(defer_build=True)
)


EXTENSION_MODEL = ConfigDict(json_schema_extra={"x-extension": True})  # Mastercard's fields are not public


class CreditRequest(Request):
    """Body of POST /redemptions/{id}/credits; no points = everything still creditable."""

    model_config = Request.model_config | EXTENSION_MODEL

    pointsCredited: Points | None = None
    description: Text160 | None = None


class UpdateRedemptionStatusRequest(Request):
    """Update Redemption Status: the fulfilment partner's report on one redemption line."""

    redemptionId: Annotated[int, Field(ge=1, le=999_999_999_999_999_999)] | None = Field(
        default=None,
        description="Mastercard: required; here the path's id, so optional, and equal to it when sent.",
        json_schema_extra={"x-narrowed": True},
    )
    statusCode: Literal["B", "I", "N", "O", "S"] = Field(
        description="B back order, I invoice received, N order sent, O order placed, S shipping date."
    )
    backOrderDate: date | None = Field(default=None, description="Required with B (YYYY-MM-DD), else absent.")


# -- responses ---------------------------------------------------------------------------
class RedeemedItem(Response):
    itemId: str
    redemptionId: int
    redemptionMatrixItemId: str | None = absent()
    redemptionItemId: str | None = absent()


class RedemptionResponse(Response):
    id: str = Field(
        description=(
            "The redemption's UUID (seed 003), or a statement credit's reference of 10 characters (Mastercard: "
            "1-10 characters; one schema answers both, so it states no length)."
        )
    )
    pointBalance: JsonNumber | None = absent()
    pointsName: str | None = absent()
    programName: str | None = absent()
    cashEquivalent: JsonNumber | None = absent()
    currencyCode: str | None = absent()
    items: list[RedeemedItem] | None = absent()


class CreditResponse(Response):
    model_config = Response.model_config | EXTENSION_MODEL

    id: str
    redemptionId: int
    pointsCredited: JsonNumber
    totalPointsCredited: JsonNumber
    remainingCreditablePoints: JsonNumber
    pointBalance: JsonNumber
    cashEquivalent: JsonNumber
    currencyCode: str
    pointsName: str
    programName: str


class HistoryEntry(Response):
    """One redemption line or one credit, as GET /redemptions lists them (newest first)."""

    model_config = Response.model_config | EXTENSION_MODEL

    entryType: Literal["REDEMPTION", "CREDIT"]
    id: str  # the request id (redemption) or the credit id
    redemptionId: int
    redemptionType: str
    createdAt: str
    pointsRedeemed: JsonNumber | None = absent()
    pointsCredited: JsonNumber | None = absent()
    totalPointsCredited: JsonNumber | None = absent()
    cashEquivalent: JsonNumber | None = absent()
    currencyCode: str | None = absent()
    redemptionMatrixItemId: str | None = absent()
    redemptionItemId: str | None = absent()
    externalId: str | None = absent()
    description: str | None = absent()
    clientId: str | None = absent()
    rebate: RebateState | None = absent(**REBATE_FIELD)


class RedemptionHistory(Response):
    model_config = Response.model_config | EXTENSION_MODEL

    redemptions: list[HistoryEntry]
    nextToken: str | None = absent()


class RedemptionStatusResponse(Response):
    """The report as recorded (Mastercard publishes no answer for Update Redemption Status)."""

    model_config = Response.model_config | EXTENSION_MODEL

    redemptionId: int
    statusCode: str
    backOrderDate: str | None = absent()
    statusUpdatedAt: str = Field(
        description="Extension: when the report was recorded.", json_schema_extra={"x-extension": True}
    )
