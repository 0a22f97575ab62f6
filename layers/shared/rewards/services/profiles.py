"""Redeemer profile, search and PWR preferences."""

from __future__ import annotations

from dataclasses import replace

from rewards.domain import Account, Caller, CardholderPreferences, ClientRole
from rewards.errors import Conflict, InvalidField
from rewards.ids import new_token
from rewards.ledger import Configuration, Ledger, RecordChanged
from rewards.models.config import ConversionRule, OverrideCategory, OverrideRule, Program
from rewards.models.pwr import (
    AccountInfo,
    Attribute,
    CompositeConversionFactors,
    CompositeOverrideCategoryDetails,
    ConversionFactor,
    ConversionRuleTier,
    HouseholdInfo,
    ItemConversion,
    OverrideCategoryDetails,
    Preferences,
    RedeemerProfile,
)
from rewards.money import cash_for_points, plain, points_per_unit
from rewards.rules.redemption_rules import check_eligible
from rewards.services.accounts import AccountContext, CardHasher, find_account, load_context

_CATEGORY_NAMES = {
    "MERCHANT": "Merchant Group",
    "MCC": "Merchant Category Code",
    "ACCOUNT_RANGE": "Account Range",
    "BANK_PRODUCT": "Bank Product",
    "CROSS_BORDER": "Cross Border",
}


def preferences_view(prefs: CardholderPreferences) -> Preferences:
    return Preferences(
        redemptionFrequency=prefs.redemptionFrequency,
        minAccountPurchaseThreshold=prefs.minAccountPurchaseThreshold,
        fixedAccountRedemptionAmount=prefs.fixedAccountRedemptionAmount,
        receiveEmailSw=prefs.receiveEmailSw,
        receiveSMSSw=prefs.receiveSMSSw,
        emailAddress=prefs.emailAddress,
        smsNumber=prefs.smsNumber,
    )


def rule_tiers(rule: ConversionRule) -> list[ConversionRuleTier]:
    tiers = []
    for number, tier in enumerate(rule.tiers, start=1):
        upper = rule.tiers[number].fromAmount if number < len(rule.tiers) else None
        tiers.append(
            ConversionRuleTier(
                fromAmount=plain(tier.fromAmount),
                toAmount=plain(upper) if upper is not None else None,
                multiplier=plain(points_per_unit(tier.costPerPoint)),
                tierNumber=str(number),
            )
        )
    return tiers


def match_attributes(rule: OverrideRule) -> list[Attribute]:
    """Every value an override matches, as name/value pairs (the category's own name)."""
    values = rule.cardAcceptorIds + rule.merchantGroups + rule.mccs + rule.bankProductCodes
    values += [f"{r.fromBin}-{r.toBin}" for r in rule.accountRanges]
    return [Attribute(name=rule.category.value, value=v) for v in values]


def composite_details(rule: OverrideRule) -> list[CompositeOverrideCategoryDetails]:
    """Mastercard's composite form: one detail per matched value, in the field of its kind."""
    details = [
        CompositeOverrideCategoryDetails(cardHolderNumFrom=r.fromBin, cardHolderNumTo=r.toBin)
        for r in rule.accountRanges
    ]
    details += [
        CompositeOverrideCategoryDetails(merchantCategoryName=rule.name, merchantCategoryValue=mcc) for mcc in rule.mccs
    ]
    details += [
        CompositeOverrideCategoryDetails(merchantGroupName=group, merchantGroupValue=group[:12])
        for group in rule.merchantGroups
    ]
    details += [
        CompositeOverrideCategoryDetails(bankProductName=rule.name, bankProductValue=code)
        for code in rule.bankProductCodes
    ]
    # Card acceptor ids and cross-border have no field of their own: attributes carry them.
    if rule.cardAcceptorIds:
        attributes = [Attribute(name=rule.category.value, value=v) for v in rule.cardAcceptorIds]
        details.append(CompositeOverrideCategoryDetails(attributes=attributes))
    if rule.category is OverrideCategory.CROSS_BORDER:
        details.append(CompositeOverrideCategoryDetails(attributes=[Attribute(name="CROSS_BORDER", value="Y")]))
    return details


def composite_conversion_factors(program: Program) -> list[CompositeConversionFactors]:
    base = program.baseConversion
    factors = [
        CompositeConversionFactors(
            authRewardsServiceId=program.authRewardsServiceType,
            name=base.name,
            type="BASE",
            currencyCode=base.currencyCode or program.currencyCode,
            conversionRuleTiers=rule_tiers(base),
        )
    ]
    for rule in program.overrides:
        factors += [
            CompositeConversionFactors(
                authRewardsServiceId=program.authRewardsServiceType,
                name=rule.name,
                type="OVERRIDE",
                currencyCode=rule.currencyCode or program.currencyCode,
                overrideCategoryDetails=detail,
                conversionRuleTiers=rule_tiers(rule),
            )
            for detail in composite_details(rule)
        ]
    return factors


def conversion_factors(program: Program) -> list[ConversionFactor]:
    rules: list[ConversionRule] = [program.baseConversion, *program.overrides]
    factors = []
    for rule in rules:
        tiers = rule_tiers(rule)
        details = None
        if isinstance(rule, OverrideRule):
            details = OverrideCategoryDetails(
                category=_CATEGORY_NAMES[rule.category.value], attributes=match_attributes(rule)
            )
        factors.append(
            ConversionFactor(
                authRewardsServiceId=program.authRewardsServiceType,
                name=rule.name,
                type="OVERRIDE" if isinstance(rule, OverrideRule) else "BASE",
                currencyCode=rule.currencyCode or program.currencyCode,
                overrideCategoryDetails=details,
                conversionRuleTiers=tiers,
            )
        )
    return factors


def checkout_profile(
    profile: RedeemerProfile,
    context: AccountContext,
    item_id: str | None,
    item_field: str,
    includes: frozenset[str] = frozenset(),
) -> RedeemerProfile:
    """Digital Redemptions balance at checkout: eligibility first, then the balance's cash value at
    the program's base cost per point and, for ``item_id``, at that item's cost per point. The
    preferences only when ``includes`` asks for them."""
    check_eligible(context.account)
    program, balance = context.program, context.pool.balance
    conversion = None
    factors: list[ConversionFactor] = []
    if item_id is not None:
        item = program.catalog.redemption_item(item_id) or program.catalog.matrix_item(item_id)
        if item is None:
            raise InvalidField(
                item_field, f"{item_field} {item_id} is not in the program's catalog", reason_code="UNKNOWN_ITEM"
            )
        currency = item.currencyCode or program.currencyCode
        per_unit = points_per_unit(item.costPerPoint)
        conversion = ItemConversion(
            redemptionItemId=item_id,
            description=item.description,
            costPerPoint=item.costPerPoint,
            pointsPerUnit=per_unit,
            currencyCode=currency,
            cashEquivalent=cash_for_points(balance, item.costPerPoint),
        )
        tier = ConversionRuleTier(fromAmount="0", multiplier=plain(per_unit), tierNumber="1")
        factors = [
            ConversionFactor(
                authRewardsServiceId="DR",
                name=item.description[:100],
                type="BASE",
                currencyCode=currency,
                conversionRuleTiers=[tier],
            )
        ]
    return profile.model_copy(
        update={
            "conversionFactors": factors,
            "CompositeConversionFactors": None,
            "preferences": profile.preferences if "preferences" in includes else None,
            "pointsName": program.pointsName,
            "programName": program.programName,
            "cashEquivalent": cash_for_points(balance, program.baseConversion.tiers[0].costPerPoint),
            "currencyCode": program.currencyCode,
            "roundingMethod": program.roundingMethod.value,
            "wholePointsOnly": program.wholePointsOnly,
            "redemptionItem": conversion,
        }
    )


class ProfileService:
    def __init__(
        self,
        ledger: Ledger,
        config: Configuration,
        hash_card: CardHasher,
    ) -> None:
        self.ledger = ledger
        self.config = config
        self.hash_card = hash_card

    def profile(
        self,
        caller: Caller,
        user_id: str,
        user_id_type: str,
        *,
        field: str = "userId",
        redemption_type: str = "PWR",
        redemption_item_id: str | None = None,
        item_field: str = "redemptionItemId",
        includes: frozenset[str] = frozenset(),
    ) -> RedeemerProfile:
        account = find_account(self.ledger, self.hash_card, caller, user_id, user_id_type, field=field)
        context = load_context(self.ledger, self.config, account)
        if redemption_type == "DR" or caller.role is ClientRole.MERCHANT:
            return checkout_profile(self._profile(context), context, redemption_item_id, item_field, includes)
        return self._profile(context)

    @staticmethod
    def _profile(context: AccountContext) -> RedeemerProfile:
        account, program = context.account, context.program
        filters = program.filters
        return RedeemerProfile(
            userId=account.accountId,
            userIdType="RANAC",
            accountInfo=AccountInfo(
                accountStatus=account.status.wire_code,
                lastFourDigitsOfCard=account.lastFour,
                minProgramPurchaseThreshold=plain(filters.minPurchaseAmount)
                if filters.minPurchaseAmount is not None
                else None,
                maxProgramPurchaseThreshold=plain(filters.maxPurchaseAmount)
                if filters.maxPurchaseAmount is not None
                else None,
                programId=program.programId,
            ),
            householdInfo=HouseholdInfo(
                pointBalance=plain(context.pool.balance),
                householdRole=account.householdRole.wire_code if account.householdRole else None,
            ),
            conversionFactors=conversion_factors(program),
            CompositeConversionFactors=composite_conversion_factors(program),
            preferences=preferences_view(account.preferences),
        )

    def preferences(self, caller: Caller, account_id: str) -> Preferences:
        account = find_account(self.ledger, self.hash_card, caller, account_id, "RANAC", field="id")
        return preferences_view(account.preferences)

    def set_preferences(self, caller: Caller, account_id: str, changes: Preferences) -> Preferences:
        """Merge the fields the client sent into the stored preferences (optimistic, versioned)."""
        account = find_account(self.ledger, self.hash_card, caller, account_id, "RANAC", field="id")
        program = load_context(self.ledger, self.config, account).program
        merged = self._merge(account, changes)
        self._validate(merged, program)
        try:
            self.ledger.save_preferences(account, merged, new_token())
        except RecordChanged:
            raise Conflict(
                "The preferences changed while this request was processed; read them and retry.",
                reason_code="PREFERENCES_CHANGED",
            ) from None
        return preferences_view(merged)

    @staticmethod
    def _merge(account: Account, changes: Preferences) -> CardholderPreferences:
        sent = {name: getattr(changes, name) for name in changes.model_fields_set}
        if "redemptionFrequency" in sent and sent["redemptionFrequency"] is None:
            raise InvalidField("preferences.redemptionFrequency", "redemptionFrequency must be OFF, SNGL or MULT")
        for switch in ("receiveEmailSw", "receiveSMSSw"):
            if switch in sent and sent[switch] is None:
                sent[switch] = False  # null clears a switch, like it clears an amount or an address
        return replace(account.preferences, **sent)

    @staticmethod
    def _validate(prefs: CardholderPreferences, program: Program) -> None:
        minimum = program.filters.minPurchaseAmount
        threshold = prefs.minAccountPurchaseThreshold
        if threshold is not None and minimum is not None and threshold < minimum:
            raise InvalidField(
                "preferences.minAccountPurchaseThreshold",
                f"minAccountPurchaseThreshold must be at least the program minimum of {plain(minimum)}",
            )
        if prefs.receiveEmailSw and not prefs.emailAddress:
            raise InvalidField("preferences.emailAddress", "emailAddress is required when receiveEmailSw is true")
        if prefs.receiveSMSSw and not prefs.smsNumber:
            raise InvalidField("preferences.smsNumber", "smsNumber is required when receiveSMSSw is true")
