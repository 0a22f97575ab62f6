"""Redeemer profile, search and PWR preferences."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rewards.adapters.config_store import ConfigStore
from rewards.adapters.dynamo import TransactionRefused
from rewards.adapters.ledger import LedgerStore
from rewards.domain import Account, Caller, CardholderPreferences
from rewards.errors import Conflict, InvalidField
from rewards.models.config import ConversionRule, OverrideRule, Program
from rewards.models.pwr import (
    AccountInfo,
    Attribute,
    ConversionFactor,
    ConversionRuleTier,
    HouseholdInfo,
    OverrideCategoryDetails,
    Preferences,
    RedeemerProfile,
)
from rewards.money import plain
from rewards.services.accounts import CardHasher, find_account, load_context

_CATEGORY_NAMES = {
    "MERCHANT": "Merchant Group",
    "MCC": "Merchant Category Code",
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


def conversion_factors(program: Program) -> list[ConversionFactor]:
    rules: list[ConversionRule] = [program.baseConversion, *program.overrides]
    factors = []
    for rule in rules:
        tiers = []
        for number, tier in enumerate(rule.tiers, start=1):
            upper = rule.tiers[number].fromAmount if number < len(rule.tiers) else None
            tiers.append(
                ConversionRuleTier(
                    fromAmount=plain(tier.fromAmount),
                    toAmount=plain(upper) if upper is not None else None,
                    multiplier=plain((Decimal(1) / tier.costPerPoint).normalize()),
                    tierNumber=str(number),
                )
            )
        details = None
        if isinstance(rule, OverrideRule):
            values = rule.cardAcceptorIds + rule.merchantGroups + rule.mccs + rule.bankProductCodes
            details = OverrideCategoryDetails(
                category=_CATEGORY_NAMES[rule.category.value],
                attributes=[Attribute(name=rule.category.value, value=v) for v in values],
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


class ProfileService:
    def __init__(self, store: LedgerStore, config: ConfigStore, hash_card: CardHasher) -> None:
        self.store = store
        self.config = config
        self.hash_card = hash_card

    def profile(self, caller: Caller, user_id: str, user_id_type: str) -> RedeemerProfile:
        account = find_account(self.store, self.hash_card, caller, user_id, user_id_type)
        context = load_context(self.store, self.config, account)
        program = context.program
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
            preferences=preferences_view(account.preferences),
        )

    def preferences(self, caller: Caller, account_id: str) -> Preferences:
        account = find_account(self.store, self.hash_card, caller, account_id, "RANAC")
        return preferences_view(account.preferences)

    def set_preferences(self, caller: Caller, account_id: str, changes: Preferences) -> Preferences:
        """Merge the fields the client sent into the stored preferences (optimistic, versioned)."""
        account = find_account(self.store, self.hash_card, caller, account_id, "RANAC")
        program = load_context(self.store, self.config, account).program
        merged = self._merge(account, changes)
        self._validate(merged, program)
        try:
            self.store.save_preferences(account, merged)
        except TransactionRefused:
            raise Conflict(
                "The preferences changed while this request was processed; read them and retry.",
                reason_code="PREFERENCES_CHANGED",
            ) from None
        return preferences_view(merged)

    @staticmethod
    def _merge(account: Account, changes: Preferences) -> CardholderPreferences:
        sent = {name: getattr(changes, name) for name in changes.model_fields_set}
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
