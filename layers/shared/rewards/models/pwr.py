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


def absent() -> Any:
    """An optional response field that is left out of the JSON when it has no value."""
    return Field(default=None, exclude_if=_is_none)


class AuthorizationFields(Request):
    """ISO 8583 data of one approved authorization (DE numbers in the comments)."""

    accountId: str = Field(min_length=1, max_length=30)
    accountIdType: Literal["BAN", "RANAC"]
    acquiringInstitutionIdCode: Annotated[str, Field(min_length=1, max_length=6, pattern=r"^\d+$")]  # DE32
    cardAcceptorIdCode: Annotated[str, Field(min_length=1, max_length=15), MASKED]  # DE42
    cardAcceptorNameAndLocation: Annotated[str, Field(min_length=1, max_length=40), MASKED]  # DE43
    cardholderBillingAmount: AmountString  # DE6, the amount PWR evaluates
    cardholderBillingCurrencyCode: str = Field(pattern=r"^[A-Z]{3}$")  # DE51
    issuerCountryCode: str = Field(pattern=r"^[A-Z]{3}$")  # DE20
    merchantCategoryCode: str = Field(pattern=r"^\d{4}$")  # DE18
    processingCode: Literal["PURCHASE", "PURCHASE_WITH_CASHBACK"]  # DE3 sf1
    transactionDateAndTime: datetime  # yyyy-MM-dd'T'HH:mm:ssXXX
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
    issuerSettlementAmount: AmountString | None = None  # DE5
    merchantCountry: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")  # DE61 sf13
    onBehalfService: Max2 | None = None
    onBehalfServiceResult1: Max1 | None = None
    onBehalfServiceResult2: Max1 | None = None
    originalDataElement: Text42 | None = None
    panMappingFileInformation: Text43 | None = None
    pointOfSaleCaptureCapabilities: Max1 | None = None
    pointOfSaleCardPresence: Max1 | None = None
    pointOfSaleCardTerminalInputCapability: Max1 | None = None
    pointOfSaleCardholderPresence: Max1 | None = None
    pointOfSaleCountryCode: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    pointOfSaleData: Text26 | None = None
    pointOfSaleEntryMode: Max3 | None = None
    pointOfSalePostalCode: Max10 | None = None
    primaryAccountNumber: Max19 | None = None
    productCode: Max3 | None = None
    reconciliationCurrencyCode: Max3 | None = None
    replacementAmount: Text42 | None = None
    reserved: Text60 | None = None
    responseCode: str | None = Field(default=None, pattern=r"^[0-9A-Z]{2}$")  # DE39; absent = approved
    systemTraceAuditNumber: Max6 | None = None
    tokenAssuranceLevel: Max2 | None = None
    tokenRequestorId: Max11 | None = None
    transactionAmount: AmountString | None = None  # DE4: never used for the decision
    transactionCategoryCode: Text250 | None = None
    transactionCurrencyCode: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")  # DE49
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

    externalId: Annotated[str, Field(min_length=1, max_length=15, pattern=r"^[A-Za-z0-9_.:-]+$"), NO_CARD_NUMBER]
    queueTransaction: Literal["Y", "N"]


class AuthorizationPostResponse(Response):
    id: str | None = absent()
    programId: str | None = absent()
    authRewardsServiceType: str | None = absent()
    responseReasonId: str | None = absent()
    responseReasonDesc: str | None = absent()
    responseMessage: str | None = absent()


class Authorization(Response):
    """A processed authorization as GET /authorizations lists it."""

    id: str
    responseReasonId: str
    responseReasonDesc: str
    externalId: str | None = absent()
    reprocessId: str | None = absent()
    reprocessedBy: str | None = absent()
    reprocessedDateTime: str | None = absent()
    merchantCategoryName: str | None = absent()
    de004TransactionAmount: str | None = absent()
    de005IssuerCurrencySettlementAmount: str | None = absent()
    de006CardholderBillingAmount: str
    de012TransactionTime: str | None = absent()
    de013TransactionDate: str | None = absent()
    de018MerchantCode: str | None = absent()
    de032AcquiringInstitutionIdCode: str | None = absent()
    de039ResponseCode: str | None = absent()
    de042CardAcceptorIdCode: str | None = absent()
    de043CardAcceptorNameLocation: str | None = absent()
    de048TCC: str | None = absent()
    de049TransactionCurrencyCode: str | None = absent()
    de050SettlementCurrencyCode: str | None = absent()
    de051CardholderBillingCurrencyCode: str | None = absent()
    merchantCountry: str | None = absent()
    pointsRedeemed: str = "0"
    cashBackAmount: JsonNumber = Decimal(0)
    totalPointsRequired: JsonNumber | None = absent()
    pointConversionFactor: JsonNumber | None = absent()
    pointConversionCurrency: str | None = absent()
    partiallyRedeemed: bool = False


class Preferences(BaseModel):
    """Cardholder PWR preferences (GET response, and the body part of PUT)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    redemptionFrequency: RedemptionFrequency | None = absent()
    minAccountPurchaseThreshold: Annotated[JsonNumber, Field(ge=0, max_digits=12, decimal_places=2)] | None = absent()
    fixedAccountRedemptionAmount: Annotated[JsonNumber, Field(gt=0, max_digits=12, decimal_places=2)] | None = absent()
    receiveEmailSw: bool | None = absent()
    receiveSMSSw: bool | None = absent()
    emailAddress: Annotated[str, Field(max_length=120, pattern=EMAIL_PATTERN), NO_CARD_NUMBER] | None = absent()
    smsNumber: Annotated[str, Field(max_length=25, pattern=SMS_PATTERN)] | None = absent()


class SetPreferencesRequest(Request):
    preferences: Preferences
    userIdType: Literal["RANAC"] | None = None


class ReprocessRequest(Request):
    processedBy: str = Field(min_length=1, max_length=10)
    accountId: str = Field(min_length=1, max_length=30)
    accountIdType: Literal["RANAC"]


class ReprocessResponse(Response):
    reprocessCode: str
    reprocessId: str


class SearchProfileRequest(Request):
    userId: str = Field(min_length=1, max_length=30)
    userIdType: Literal["BAN", "BCN", "RANAC"]
    redemptionType: Literal["PWR", "DR"] = "PWR"
    redemptionItemId: str | None = Field(default=None, min_length=1, max_length=20)  # DR: item conversion


class AccountInfo(Response):
    accountStatus: str = Field(min_length=1, max_length=1)
    lastFourDigitsOfCard: str = Field(min_length=4, max_length=4)
    minProgramPurchaseThreshold: str | None = absent()
    maxProgramPurchaseThreshold: str | None = absent()
    programId: str
    redemptionEnrollStatus: str | None = absent()


class HouseholdInfo(Response):
    pointBalance: str
    householdRole: str | None = absent()


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
    authRewardsServiceId: str
    name: str
    type: Literal["BASE", "OVERRIDE"]
    currencyCode: str
    overrideCategoryDetails: OverrideCategoryDetails | None = absent()
    conversionRuleTiers: list[ConversionRuleTier]


class ItemConversion(Response):
    """Digital Redemptions: what the household balance is worth in one reward item."""

    redemptionItemId: str
    description: str
    costPerPoint: JsonNumber
    pointsPerUnit: JsonNumber
    currencyCode: str
    cashEquivalent: JsonNumber


class RedeemerProfile(Response):
    userId: str
    userIdType: str
    accountInfo: AccountInfo
    householdInfo: HouseholdInfo
    conversionFactors: list[ConversionFactor] = Field(default_factory=list)
    preferences: Preferences | None = absent()
    # Digital Redemptions (redemption_type=DR, or a merchant caller) only:
    pointsName: str | None = absent()
    programName: str | None = absent()
    cashEquivalent: JsonNumber | None = absent()
    currencyCode: str | None = absent()
    roundingMethod: str | None = absent()
    wholePointsOnly: bool | None = absent()
    redemptionItem: ItemConversion | None = absent()
