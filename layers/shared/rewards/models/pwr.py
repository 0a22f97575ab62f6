"""Pay with Rewards API models, with Mastercard's JSON field names and lengths."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from rewards.domain import RedemptionFrequency
from rewards.models.text import MASKED, NO_CARD_NUMBER

# Amounts travel as strings of up to 12 characters: digits with an optional decimal point.
AmountString = Annotated[str, Field(min_length=1, max_length=12, pattern=r"^\d{1,9}(\.\d{1,2})?$")]
Numeric = Annotated[str, Field(pattern=r"^\d+$")]
AMOUNT_RULE: dict[str, Any] = {
    "description": "Narrowed: Mastercard: a string of 1-12 characters; up to 9 digits and 2 decimals.",
    "json_schema_extra": {"x-narrowed": True},
}
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$"
SMS_PATTERN = r"^\+?[1-9]\d{6,14}$"
Max1 = Annotated[str, Field(max_length=1)]
Max2 = Annotated[str, Field(max_length=2)]
Max3 = Annotated[str, Field(max_length=3)]
Max4 = Annotated[str, Field(max_length=4)]
Max6 = Annotated[str, Field(max_length=6)]
Max8 = Annotated[str, Field(max_length=8)]
Max10 = Annotated[str, Field(max_length=10)]
Max11 = Annotated[str, Field(max_length=11)]
Max19 = Annotated[str, Field(max_length=19)]
# Free data long enough to hold a card number: one in it is masked on the way in (models/text.py).
Text26 = Annotated[str, Field(max_length=26), MASKED]
Text28 = Annotated[str, Field(max_length=28), MASKED]
Text42 = Annotated[str, Field(max_length=42), MASKED]
Text43 = Annotated[str, Field(max_length=43), MASKED]
Text60 = Annotated[str, Field(max_length=60), MASKED]
Text250 = Annotated[str, Field(max_length=250), MASKED]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)


# Decimals leave the service as JSON numbers, by value: a whole number as an integer (70.00 -> 70, as
# the seed's "cashEquivalent": 1), any other as the shortest float (10.50 -> 10.5). A replay, which
# reads a stored answer back, then answers the same bytes. Arithmetic never leaves Decimal.
def decimal_encoder(value: Decimal) -> int | float:
    """The JSON number of a Decimal: whole values as int, others as float."""
    return int(value) if value == value.to_integral_value() else float(value)


JsonNumber = Annotated[Decimal, PlainSerializer(decimal_encoder, when_used="json")]


class Response(BaseModel):
    """Response bodies: unknown fields ignored on read, absent (None) fields left out on write."""

    model_config = ConfigDict(extra="ignore", defer_build=True)


def _is_none(value: object) -> bool:
    return value is None


def absent(**constraints: Any) -> Any:
    """An optional response field that is left out of the JSON when it has no value."""
    return Field(default=None, exclude_if=_is_none, **constraints)


def extension(description: str) -> dict[str, Any]:
    """Schema keywords of a field Mastercard's contract does not have (docs/api-fidelity.md)."""
    return {"description": f"Extension: {description}", "json_schema_extra": {"x-extension": True}}


def narrowed(description: str) -> dict[str, Any]:
    """Schema keywords of a field this service accepts more narrowly than Mastercard's contract."""
    return {"description": f"Narrowed: {description}", "json_schema_extra": {"x-narrowed": True}}


class AuthorizationFields(Request):
    """ISO 8583 data of one approved authorization (DE numbers in the comments)."""

    accountId: str = Field(min_length=1, max_length=30)
    accountIdType: Literal["BAN", "RANAC"] = Field(
        max_length=5, **narrowed("Mastercard: a string of at most 5 characters, BAN supported; here BAN or RANAC.")
    )
    acquiringInstitutionIdCode: Annotated[
        str, Field(min_length=1, max_length=6, pattern=r"^\d+$", **narrowed("Mastercard: 1-6 characters; digits."))
    ]  # DE32
    cardAcceptorIdCode: Annotated[str, Field(min_length=1, max_length=15), MASKED]  # DE42
    cardAcceptorNameAndLocation: Annotated[str, Field(min_length=1, max_length=40), MASKED]  # DE43
    cardholderBillingAmount: AmountString = Field(**AMOUNT_RULE)  # DE6, the amount PWR evaluates
    cardholderBillingCurrencyCode: str = Field(
        min_length=1, max_length=3, pattern=r"^[A-Z]{3}$", **narrowed("Mastercard: 1-3 characters; ISO 4217 alpha-3.")
    )  # DE51
    issuerCountryCode: str = Field(
        min_length=1, max_length=3, pattern=r"^[A-Z]{3}$", **narrowed("Mastercard: 1-3 characters; ISO 3166 alpha-3.")
    )  # DE20
    merchantCategoryCode: str = Field(
        min_length=1,
        max_length=4,
        pattern=r"^\d{4}$",
        **narrowed("Mastercard: 1-4 characters; exactly 4 digits, as MCCs are."),
    )  # DE18
    processingCode: Literal["PURCHASE", "PURCHASE_WITH_CASHBACK"]  # DE3 sf1
    transactionDateAndTime: datetime = Field(
        **narrowed("Mastercard: yyyy-MM-dd'T'HH:mm:ssXXX (its stated 10-character limit cannot hold it); a UTC offset.")
    )
    accountId1: Text28 | None = None
    accountId2: Text28 | None = None
    accountNumber: Max19 | None = None
    accountNumberIndicator: Max1 | None = None
    additionalAmount: Text60 | None = None
    amountCardholderBillingFee: Max8 | None = None
    authorizationIdResponse: Max6 | None = None
    cardholderAccountTerminalLevel: Max1 | None = None
    conversionRateCardholderBilling: Max8 | None = None
    conversionRateSettled: Max8 | None = None
    expirationDate: Max4 | None = None
    forwardingInstitutionIdCode: Max6 | None = None
    issuerSettlementAmount: AmountString | None = Field(default=None, **AMOUNT_RULE)  # DE5
    merchantCountry: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        **extension("the merchant's ISO 3166 alpha-3 country (DE61 sf13), for cross-border rules."),
    )  # DE61 sf13
    onBehalfService: Max2 | None = None
    onBehalfServiceResult1: Max1 | None = None
    onBehalfServiceResult2: Max1 | None = None
    originalDataElement: Text42 | None = None
    panMappingFileInformation: Text43 | None = None
    pointOfSaleCaptureCapabilities: Max1 | None = None
    pointOfSaleCardPresence: Max1 | None = None
    pointOfSaleCardTerminalInputCapability: Max1 | None = None
    pointOfSaleCardholderPresence: Max1 | None = None
    pointOfSaleCountryCode: str | None = Field(
        default=None, max_length=3, pattern=r"^[A-Z]{3}$", **narrowed("Mastercard: at most 3 characters; alpha-3.")
    )
    pointOfSaleData: Text26 | None = None
    pointOfSaleEntryMode: Max3 | None = None
    pointOfSalePostalCode: Max10 | None = None
    primaryAccountNumber: Max19 | None = None
    productCode: Max3 | None = None
    reconciliationCurrencyCode: Max3 | None = None
    replacementAmount: Text42 | None = None
    reserved: Text60 | None = None
    responseCode: str | None = Field(
        default=None,
        max_length=2,
        pattern=r"^[0-9A-Z]{2}$",
        **narrowed("Mastercard: at most 2 characters; exactly 2 (DE39); absent means approved."),
    )  # DE39
    systemTraceAuditNumber: Max6 | None = None
    tokenAssuranceLevel: Max2 | None = None
    tokenRequestorId: Max11 | None = None
    transactionAmount: AmountString | None = Field(default=None, **AMOUNT_RULE)  # DE4: never used for the decision
    transactionCategoryCode: Text250 | None = None
    transactionCurrencyCode: str | None = Field(
        default=None, max_length=3, pattern=r"^[A-Z]{3}$", **narrowed("Mastercard: at most 3 characters; alpha-3.")
    )  # DE49
    walletIdentifier: Max3 | None = None

    @field_validator("transactionDateAndTime")
    @classmethod
    def _needs_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("transactionDateAndTime needs a UTC offset (yyyy-MM-ddTHH:mm:ssXXX)")
        return value

    @property
    def billing_amount(self) -> Decimal:
        return Decimal(self.cardholderBillingAmount)

    @property
    def approved(self) -> bool:
        return self.responseCode in (None, "00")


class AuthorizationRequest(AuthorizationFields):
    """Body of POST /authorizations (the Post Auth API)."""

    externalId: Annotated[
        str,
        Field(
            min_length=1,
            max_length=15,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            **narrowed("Mastercard: 1-15 characters; letters, digits and _ . : - (it is a key)."),
        ),
        NO_CARD_NUMBER,
    ]
    queueTransaction: Literal["Y", "N"]


class AuthorizationPostResponse(Response):
    id: str | None = absent(min_length=1, max_length=10)
    programId: str | None = absent(min_length=1, max_length=10)
    authRewardsServiceType: str | None = absent(min_length=1, max_length=10)
    responseReasonId: str | None = absent(min_length=1, max_length=10)
    responseReasonDesc: str | None = absent(min_length=1, max_length=255)
    responseMessage: str | None = absent(description="The only field of a queued transaction's answer.")


class RebateState(Response):
    """Where the cash credit a redemption owes stands in settlement (docs/settlement.md)."""

    model_config = Response.model_config | ConfigDict(json_schema_extra={"x-extension": True})

    status: Literal["PENDING", "SENT", "POSTED", "REJECTED"] = Field(
        description="PENDING: owed, in no file yet; SENT: in a settlement file; POSTED: the issuer "
        "credited the card; REJECTED: the issuer refused it and the points went back."
    )
    fileId: str | None = absent(description="The settlement file that carries it (SENT and later).")
    reason: str | None = absent(description="The issuer's reason, as acknowledged.")


REBATE_FIELD = extension(
    "the rebate this redemption owes (a redeemed authorization's cashBackAmount, a CASHBACK line's cash)."
)


class Authorization(Response):
    """A processed authorization as GET /authorizations lists it."""

    id: str = Field(min_length=1, max_length=10)
    responseReasonId: str = Field(min_length=1, max_length=10)
    responseReasonDesc: str = Field(min_length=1, max_length=255)
    externalId: str | None = absent(min_length=1, max_length=15)
    reprocessId: str | None = absent()
    reprocessedBy: str | None = absent(min_length=1, max_length=10)
    reprocessedDateTime: str | None = absent(min_length=1)
    merchantCategoryName: str | None = absent(min_length=1, max_length=70)
    de004TransactionAmount: str | None = absent(max_length=12)
    de005IssuerCurrencySettlementAmount: str | None = absent(max_length=12)
    de006CardholderBillingAmount: str = Field(max_length=12)
    de012TransactionTime: str | None = absent(max_length=6)
    de013TransactionDate: str | None = absent(max_length=4)
    de018MerchantCode: str | None = absent(max_length=4)
    de032AcquiringInstitutionIdCode: str | None = absent(max_length=30)
    de039ResponseCode: str | None = absent(max_length=2)
    de042CardAcceptorIdCode: str | None = absent(max_length=15)
    de043CardAcceptorNameLocation: str | None = absent(max_length=160)
    de048TCC: str | None = absent(max_length=1002)
    de049TransactionCurrencyCode: str | None = absent(max_length=3)
    de050SettlementCurrencyCode: str | None = absent(max_length=3)
    de051CardholderBillingCurrencyCode: str | None = absent(max_length=3)
    merchantCountry: str | None = absent(max_length=3)
    pointsRedeemed: str = Field(default="0", min_length=0)
    cashBackAmount: JsonNumber = Field(
        default=Decimal(0),
        description="Mastercard's generated client types it integer, its own example is 10.75: a decimal here.",
    )
    totalPointsRequired: JsonNumber | None = absent()
    pointConversionFactor: JsonNumber | None = absent()
    pointConversionCurrency: str | None = absent(max_length=3)
    partiallyRedeemed: bool = False
    rebate: RebateState | None = absent(**REBATE_FIELD)


class Preferences(BaseModel):
    """Cardholder PWR preferences (GET response, and the body part of PUT)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    redemptionFrequency: RedemptionFrequency | None = absent(
        description="OFF, SNGL or MULT.", json_schema_extra={"maxLength": 4}
    )
    minAccountPurchaseThreshold: Annotated[JsonNumber, Field(ge=0, max_digits=12, decimal_places=2)] | None = absent()
    fixedAccountRedemptionAmount: Annotated[JsonNumber, Field(gt=0, max_digits=12, decimal_places=2)] | None = absent()
    receiveEmailSw: bool | None = absent()
    receiveSMSSw: bool | None = absent()
    emailAddress: Annotated[str, Field(max_length=120, pattern=EMAIL_PATTERN), NO_CARD_NUMBER] | None = absent(
        **narrowed("Mastercard: at most 120 characters; an email address (name@domain).")
    )
    smsNumber: Annotated[str, Field(max_length=25, pattern=SMS_PATTERN)] | None = absent(
        **narrowed("Mastercard: at most 25 characters; an E.164 number (7-15 digits, optional +).")
    )


class SetPreferencesRequest(Request):
    preferences: Preferences = Field(**narrowed("Mastercard: optional; required here (it is what changes)."))
    userIdType: Literal["RANAC"] | None = Field(
        default=None, max_length=5, **narrowed("Mastercard: at most 5 characters, e.g. RANAC; RANAC only.")
    )


class ReprocessRequest(Request):
    processedBy: str = Field(min_length=1, max_length=10)
    accountId: str = Field(min_length=1, max_length=30)
    accountIdType: Literal["RANAC"]


class ReprocessResponse(Response):
    reprocessCode: str = Field(min_length=1)
    reprocessId: str = Field(min_length=1)


class SearchProfileRequest(Request):
    userId: str = Field(min_length=1, max_length=30)
    userIdType: Literal["BAN", "BCN", "RANAC", "RANCU"] = Field(
        max_length=5,
        description="Mastercard's PWR model lists BCN and BAN, its pages add RANAC, and DR adds RANCU.",
    )
    redemptionType: Literal["PWR", "DR"] = Field(
        default="PWR",
        min_length=1,
        max_length=3,
        **narrowed("Mastercard: required, PWR; optional here (PWR by default), DR for Digital Redemptions."),
    )
    redemptionItemId: str | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Digital Redemptions: price the balance in this catalog item (its cost per point).",
    )


class AccountInfo(Response):
    accountStatus: str = Field(min_length=1, max_length=1)
    lastFourDigitsOfCard: str = Field(min_length=4, max_length=4)
    minProgramPurchaseThreshold: str | None = absent()
    maxProgramPurchaseThreshold: str | None = absent()
    programId: str = Field(min_length=1, max_length=10)
    redemptionEnrollStatus: str | None = absent(max_length=3)


class HouseholdInfo(Response):
    pointBalance: str = Field(max_length=10)
    householdRole: str | None = absent(min_length=1, max_length=1)


class Attribute(Response):
    name: str
    value: str


class OverrideCategoryDetails(Response):
    category: str
    attributes: list[Attribute] = Field(default_factory=list)


class ConversionRuleTier(Response):
    fromAmount: str
    toAmount: str | None = absent()
    multiplier: str
    tierNumber: str


class ConversionFactor(Response):
    authRewardsServiceId: str = Field(min_length=1, max_length=10)
    name: str = Field(min_length=1, max_length=100)
    type: Literal["BASE", "OVERRIDE"] = Field(min_length=4, max_length=8)
    currencyCode: str = Field(min_length=1, max_length=3)
    overrideCategoryDetails: OverrideCategoryDetails | None = absent()
    conversionRuleTiers: list[ConversionRuleTier]


class CompositeOverrideCategoryDetails(Response):
    """What one override rule matches, one value per field (the account range's bounds are the
    first six digits of a card)."""

    cardHolderNumFrom: str | None = absent(max_length=30)
    cardHolderNumTo: str | None = absent(max_length=30)
    merchantCategoryName: str | None = absent(max_length=2000)
    merchantCategoryValue: str | None = absent(max_length=4)
    merchantGroupName: str | None = absent(max_length=2000)
    merchantGroupValue: str | None = absent(max_length=12)
    merchantSetName: str | None = absent(max_length=2000)
    merchantSetValue: str | None = absent(max_length=10)
    bankProductName: str | None = absent(max_length=200)
    bankProductValue: str | None = absent(max_length=10)
    attributes: list[Attribute] | None = absent()


class CompositeConversionFactors(Response):
    authRewardsServiceId: str = Field(min_length=1, max_length=10)
    name: str = Field(min_length=1, max_length=100)
    type: Literal["BASE", "OVERRIDE"] = Field(min_length=4, max_length=8)
    currencyCode: str = Field(min_length=1, max_length=3)
    overrideCategoryDetails: CompositeOverrideCategoryDetails | None = absent()
    conversionRuleTiers: list[ConversionRuleTier]


CompositeFactor = CompositeConversionFactors  # the profile's field has the same name (capital C, as Mastercard's)


class ItemConversion(Response):
    """Digital Redemptions: what the household balance is worth in one reward item."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"x-extension": True})

    redemptionItemId: str
    description: str
    costPerPoint: JsonNumber
    pointsPerUnit: JsonNumber
    currencyCode: str
    cashEquivalent: JsonNumber


class RedeemerProfile(Response):
    userId: str = Field(min_length=1, max_length=30)
    userIdType: str = Field(min_length=1, max_length=5)
    accountInfo: AccountInfo
    householdInfo: HouseholdInfo
    conversionFactors: list[ConversionFactor] = Field(default_factory=list)
    CompositeConversionFactors: list[CompositeFactor] | None = absent()
    preferences: Preferences | None = absent()
    # Digital Redemptions (redemption_type=DR, or a merchant caller) only:
    pointsName: str | None = absent(**extension("Digital Redemptions: the program's name for its points."))
    programName: str | None = absent(**extension("Digital Redemptions: the program's name."))
    cashEquivalent: JsonNumber | None = absent(**extension("Digital Redemptions: the balance's cash value."))
    currencyCode: str | None = absent(**extension("Digital Redemptions: the currency of cashEquivalent."))
    roundingMethod: str | None = absent(description="Digital Redemptions: UP, DOWN or NATURAL (seed 003).")
    wholePointsOnly: bool | None = absent(**extension("the program refuses fractional pointsRedeemed."))
    redemptionItem: ItemConversion | None = absent(**extension("the balance priced in redemption_item_id."))
