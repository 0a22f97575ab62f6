"""The PWR decision pipeline, rule by rule (PRODUCT.md §3)."""

from __future__ import annotations

import pytest

from rewards.domain import AccountStatus, HouseholdRole, RedemptionFrequency
from rewards.models.pwr import AuthorizationRequest
from rewards.rules.pipeline import decide
from rewards.rules.reasons import FILTER_CATEGORIES, Detail, ReasonCode
from rewards.services.authorizations import purchase_of
from tests.unit.builders import D, account, authorization_fields, program, purchase, tiers

pytestmark = pytest.mark.unit

OFF, SNGL, MULT = RedemptionFrequency.OFF, RedemptionFrequency.SNGL, RedemptionFrequency.MULT
PARTIAL_TENS = {"enabled": True, "cashIncrement": "10.00"}
SEED_TIERS = {"name": "Base", "tiers": tiers(("0", "0.01"), ("500", "0.012"))}


# -- seed examples -------------------------------------------------------------------------


def test_seed_full_redemption_12000_points_pays_100_dollars_with_10000_points():
    decision = decide(purchase("100.00"), account(), program(), D(12000))
    assert decision.reason is ReasonCode.REDEEMED
    assert decision.detail is Detail.REDEEMED_FULL
    assert decision.pointsRedeemed == 10000
    assert decision.totalPointsRequired == 10000
    assert decision.cashBackAmount == D("100.00")
    assert not decision.partiallyRedeemed


def test_seed_partial_redemption_7650_points_redeems_7000_for_70_dollars():
    decision = decide(purchase("100.00"), account(), program(partialRedemption=PARTIAL_TENS), D(7650))
    assert decision.reason is ReasonCode.REDEEMED
    assert decision.detail is Detail.REDEEMED_PARTIAL
    assert decision.pointsRedeemed == 7000
    assert decision.cashBackAmount == D(70)
    assert D(7650) - decision.pointsRedeemed == 650
    assert decision.totalPointsRequired == 10000
    assert decision.partiallyRedeemed


@pytest.mark.parametrize(
    ("amount", "cost_per_point", "points"),
    [
        ("0.01", "0.01", 1),
        ("500.00", "0.01", 50000),  # 500 is not above 500: first tier
        ("500.01", "0.012", 41668),  # 41667.5 rounds half up (NATURAL)
        ("600.00", "0.012", 50000),  # the tier applies to the whole amount
    ],
)
def test_seed_tiers_apply_to_the_whole_amount(amount, cost_per_point, points):
    decision = decide(purchase(amount), account(), program(baseConversion=SEED_TIERS), D(1_000_000))
    assert decision.conversion is not None
    assert decision.conversion.costPerPoint == D(cost_per_point)
    assert decision.pointsRedeemed == points
    assert decision.cashBackAmount == D(amount)


def test_purchase_uses_de006_billing_amount_and_currency_not_de004():
    body = authorization_fields(
        cardholderBillingAmount="100.00",
        cardholderBillingCurrencyCode="USD",
        transactionAmount="9999.00",
        transactionCurrencyCode="EUR",
    )
    facts = purchase_of(AuthorizationRequest.model_validate(body), account(bank_product="MCW"))
    assert facts.amount == D("100.00")
    assert facts.currency == "USD"
    assert facts.bankProductCode == "MCW"
    assert facts.approved


@pytest.mark.parametrize("de004", [None, "0.01", "100.00", "999999999.99"])
def test_transaction_amount_never_changes_the_decision(de004):
    body = authorization_fields(transactionAmount=de004, transactionCurrencyCode="EUR" if de004 else None)
    facts = purchase_of(AuthorizationRequest.model_validate(body), account())
    decision = decide(facts, account(), program(), D(12000))
    assert (decision.reason, decision.pointsRedeemed, decision.cashBackAmount) == (ReasonCode.REDEEMED, 10000, 100)


def test_purchase_merchant_country_falls_back_to_point_of_sale_country():
    body = authorization_fields(pointOfSaleCountryCode="CAN")
    assert purchase_of(AuthorizationRequest.model_validate(body), account()).merchantCountry == "CAN"
    body = authorization_fields(merchantCountry="MEX", pointOfSaleCountryCode="CAN")
    assert purchase_of(AuthorizationRequest.model_validate(body), account()).merchantCountry == "MEX"
    assert purchase_of(AuthorizationRequest.model_validate(authorization_fields()), account()).merchantCountry is None


@pytest.mark.parametrize(("response_code", "approved"), [(None, True), ("00", True), ("05", False), ("51", False)])
def test_purchase_is_approved_only_for_de039_00_or_absent(response_code, approved):
    body = authorization_fields(responseCode=response_code)
    assert purchase_of(AuthorizationRequest.model_validate(body), account()).approved is approved


# -- preferences ---------------------------------------------------------------------------


def test_single_redeems_and_turns_pwr_off():
    decision = decide(purchase(), account(frequency=SNGL), program(), D(12000))
    assert decision.reason is ReasonCode.REDEEMED
    assert decision.turnPwrOff


def test_multiple_redeems_and_keeps_pwr_on():
    decision = decide(purchase(), account(frequency=MULT), program(), D(12000))
    assert decision.reason is ReasonCode.REDEEMED
    assert not decision.turnPwrOff


def test_off_is_eligible_and_redeems_nothing_but_reports_points_required():
    decision = decide(purchase(), account(frequency=OFF), program(), D(12000))
    assert decision.reason is ReasonCode.ELIGIBLE
    assert decision.detail is Detail.PWR_OFF
    assert decision.pointsRedeemed == 0
    assert decision.cashBackAmount == 0
    assert decision.totalPointsRequired == 10000
    assert not decision.turnPwrOff


@pytest.mark.parametrize(("amount", "redeemed"), [("25.00", False), ("24.99", False), ("25.01", True)])
def test_cardholder_threshold_must_be_exceeded(amount, redeemed):
    decision = decide(purchase(amount), account(minAccountPurchaseThreshold=D("25.00")), program(), D(12000))
    if redeemed:
        assert decision.reason is ReasonCode.REDEEMED
    else:
        assert (decision.reason, decision.detail) == (ReasonCode.ELIGIBLE, Detail.BELOW_CARDHOLDER_THRESHOLD)
        assert decision.pointsRedeemed == 0


def test_fixed_amount_redeems_that_cash_instead_of_the_purchase():
    decision = decide(purchase("100.00"), account(fixedAccountRedemptionAmount=D("20.00")), program(), D(12000))
    assert decision.reason is ReasonCode.REDEEMED
    assert decision.cashBackAmount == D(20)
    assert decision.pointsRedeemed == 2000
    assert decision.totalPointsRequired == 2000
    assert not decision.partiallyRedeemed


def test_fixed_amount_is_capped_at_the_purchase_amount():
    decision = decide(purchase("15.00"), account(fixedAccountRedemptionAmount=D("20.00")), program(), D(12000))
    assert decision.cashBackAmount == D(15)
    assert decision.pointsRedeemed == 1500


def test_post_purchase_ignores_off_and_the_cardholder_threshold_and_keeps_preference():
    holder = account(frequency=OFF, minAccountPurchaseThreshold=D(500))
    decision = decide(purchase("100.00"), holder, program(), D(12000), post_purchase=True)
    assert decision.reason is ReasonCode.REDEEMED
    assert decision.pointsRedeemed == 10000
    single = decide(purchase(), account(frequency=SNGL), program(), D(12000), post_purchase=True)
    assert single.redeemed and not single.turnPwrOff


def test_post_purchase_still_honours_the_fixed_amount():
    holder = account(frequency=OFF, fixedAccountRedemptionAmount=D("30.00"))
    decision = decide(purchase("100.00"), holder, program(), D(12000), post_purchase=True)
    assert decision.cashBackAmount == D(30)


def test_post_purchase_does_not_bypass_global_rules_or_filters():
    holder = account(frequency=OFF, status=AccountStatus.CANCELLED)
    assert decide(purchase(), holder, program(), D(12000), post_purchase=True).reason is ReasonCode.ACCOUNT_NOT_ELIGIBLE
    strict = program(filters={"maxPurchaseAmount": "50.00"})
    assert decide(purchase(), account(), strict, D(12000), post_purchase=True).reason is ReasonCode.PROGRAM_RULE_NOT_MET


# -- global rules, in order ----------------------------------------------------------------


def test_not_approved_authorization_is_71():
    decision = decide(purchase(approved=False), account(), program(), D(12000))
    assert (decision.reason, decision.detail) == (ReasonCode.NOT_APPROVED, Detail.NOT_APPROVED)
    assert decision.conversion is None and decision.pointsRedeemed == 0


@pytest.mark.parametrize(
    "status", [s for s in AccountStatus if s not in (AccountStatus.GOOD_STANDING, AccountStatus.REDEEM_ONLY)]
)
def test_non_redeeming_account_status_is_73(status):
    decision = decide(purchase(), account(status=status), program(), D(12000))
    assert (decision.reason, decision.detail) == (ReasonCode.ACCOUNT_NOT_ELIGIBLE, Detail.ACCOUNT_STATUS)


@pytest.mark.parametrize("status", [AccountStatus.GOOD_STANDING, AccountStatus.REDEEM_ONLY])
def test_redeeming_account_statuses_redeem(status):
    assert decide(purchase(), account(status=status), program(), D(12000)).redeemed


def test_household_non_redeemer_is_74():
    holder = account(household="HH1", role=HouseholdRole.NON_REDEEMER)
    decision = decide(purchase(), holder, program(), D(12000))
    assert (decision.reason, decision.detail) == (ReasonCode.NOT_HOUSEHOLD_REDEEMER, Detail.NOT_REDEEMER)


def test_household_account_without_a_role_is_not_a_redeemer():
    assert decide(purchase(), account(household="HH1"), program(), D(12000)).reason is ReasonCode.NOT_HOUSEHOLD_REDEEMER


@pytest.mark.parametrize("role", [HouseholdRole.REDEEMER, HouseholdRole.PRIMARY_REDEEMER])
def test_household_redeemers_redeem(role):
    assert decide(purchase(), account(household="HH1", role=role), program(), D(12000)).redeemed


def test_standalone_account_without_household_redeems():
    assert decide(purchase(), account(household=None, role=None), program(), D(12000)).redeemed


def test_global_rules_stop_at_the_first_failure_in_order():
    everything_wrong = account(status=AccountStatus.ON_HOLD, household="HH1", role=HouseholdRole.NON_REDEEMER)
    no_currency = purchase(currency="EUR")
    assert decide(purchase(approved=False), everything_wrong, program(), D(0)).reason is ReasonCode.NOT_APPROVED
    assert decide(no_currency, everything_wrong, program(), D(0)).reason is ReasonCode.ACCOUNT_NOT_ELIGIBLE
    non_redeemer = account(household="HH1", role=HouseholdRole.NON_REDEEMER)
    assert decide(no_currency, non_redeemer, program(), D(0)).reason is ReasonCode.NOT_HOUSEHOLD_REDEEMER
    assert decide(no_currency, account(), program(), D(0)).reason is ReasonCode.PROGRAM_RULE_NOT_MET


# -- program filters -----------------------------------------------------------------------


def _filtered(filters: dict[str, object], facts=None, **program_fields: object):
    chosen = program(filters=filters, **program_fields)
    return decide(facts or purchase(), account(), chosen, D(1_000_000))


@pytest.mark.parametrize(("amount", "passes"), [("10.00", False), ("9.99", False), ("10.01", True)])
def test_program_minimum_must_be_exceeded(amount, passes):
    decision = _filtered({"minPurchaseAmount": "10.00"}, purchase(amount))
    if passes:
        assert decision.redeemed
    else:
        assert (decision.reason, decision.detail) == (ReasonCode.PROGRAM_RULE_NOT_MET, Detail.BELOW_PROGRAM_MINIMUM)


@pytest.mark.parametrize(("amount", "passes"), [("500.00", True), ("500.01", False)])
def test_program_maximum_allows_the_maximum_itself(amount, passes):
    decision = _filtered({"maxPurchaseAmount": "500.00"}, purchase(amount))
    if passes:
        assert decision.redeemed
    else:
        assert (decision.reason, decision.detail) == (ReasonCode.PROGRAM_RULE_NOT_MET, Detail.ABOVE_PROGRAM_MAXIMUM)


@pytest.mark.parametrize("amount", ["0", "0.00"])
def test_zero_amount_is_a_program_rule_failure(amount):
    decision = decide(purchase(amount), account(), program(), D(12000))
    assert (decision.reason, decision.detail) == (ReasonCode.PROGRAM_RULE_NOT_MET, Detail.NO_AMOUNT)


@pytest.mark.parametrize(
    ("mcc_filter", "mcc", "passes"),
    [
        ({"include": ["5411", "5812"]}, "5411", True),
        ({"include": ["5411", "5812"]}, "6011", False),
        ({"exclude": ["6011", "7995"]}, "6011", False),
        ({"exclude": ["6011", "7995"]}, "5411", True),
    ],
)
def test_mcc_inclusive_or_exclusive_list(mcc_filter, mcc, passes):
    decision = _filtered({"mcc": mcc_filter}, purchase(mcc=mcc))
    assert decision.redeemed is passes
    if not passes:
        assert (decision.reason, decision.detail) == (ReasonCode.PROGRAM_RULE_NOT_MET, Detail.MCC_FILTER)


@pytest.mark.parametrize(
    ("country_filter", "country", "passes"),
    [
        ({"include": ["USA", "CAN"]}, "CAN", True),
        ({"include": ["USA", "CAN"]}, "MEX", False),
        ({"include": ["USA", "CAN"]}, None, False),  # unknown country is not on an inclusive list
        ({"exclude": ["RUS"]}, "RUS", False),
        ({"exclude": ["RUS"]}, "USA", True),
        ({"exclude": ["RUS"]}, None, True),  # unknown country is not on an exclusive list either
    ],
)
def test_merchant_country_inclusive_or_exclusive_list(country_filter, country, passes):
    decision = _filtered({"merchantCountry": country_filter}, purchase(merchantCountry=country))
    assert decision.redeemed is passes
    if not passes:
        assert (decision.reason, decision.detail) == (ReasonCode.PROGRAM_RULE_NOT_MET, Detail.COUNTRY_FILTER)


def test_missing_merchant_country_without_country_filter_passes():
    assert _filtered({}, purchase(merchantCountry=None)).redeemed


@pytest.mark.parametrize(
    ("acceptor", "passes"),
    [("ACQ-LISTED", True), ("GROCER01", True), ("GROCER02", True), ("ELSEWHERE", False)],
)
def test_merchant_filter_by_card_acceptor_or_merchant_group(acceptor, passes):
    decision = _filtered(
        {"merchants": {"cardAcceptorIds": ["ACQ-LISTED"], "merchantGroups": ["grocers"]}},
        purchase(cardAcceptorId=acceptor),
        merchantGroups={"grocers": ["GROCER01", "GROCER02"], "airlines": ["ELSEWHERE"]},
    )
    assert decision.redeemed is passes
    if not passes:
        assert (decision.reason, decision.detail) == (ReasonCode.PROGRAM_RULE_NOT_MET, Detail.MERCHANT_FILTER)


def test_empty_merchant_filter_lets_nothing_through():
    assert _filtered({"merchants": {}}).detail is Detail.MERCHANT_FILTER


def test_billing_currency_must_be_the_program_currency():
    decision = _filtered({}, purchase(currency="EUR"))
    assert (decision.reason, decision.detail) == (ReasonCode.PROGRAM_RULE_NOT_MET, Detail.CURRENCY_MISMATCH)


def test_filters_combine_with_and():
    filters = {"minPurchaseAmount": "5.00", "mcc": {"include": ["5411"]}, "merchantCountry": {"include": ["USA"]}}
    assert _filtered(filters, purchase("50.00")).redeemed
    assert not _filtered(filters, purchase("50.00", mcc="5812")).redeemed
    assert not _filtered(filters, purchase("50.00", merchantCountry="CAN")).redeemed
    assert not _filtered(filters, purchase("4.00")).redeemed


# -- redemption: minimum, full, partial, rounding ------------------------------------------


def test_redemption_minimum_reached_exactly_redeems():
    decision = decide(purchase("5.00"), account(), program(redemptionMinimumCash="10.00"), D(1000))
    assert decision.redeemed  # balance worth exactly $10.00


def test_redemption_minimum_not_reached_is_72():
    decision = decide(purchase("5.00"), account(), program(redemptionMinimumCash="10.00"), D(999))
    assert (decision.reason, decision.detail) == (ReasonCode.INSUFFICIENT_POINTS, Detail.BELOW_REDEMPTION_MINIMUM)
    assert decision.pointsRedeemed == 0
    assert decision.totalPointsRequired == 500


@pytest.mark.parametrize("balance", [D(0), D(-5)])
def test_empty_balance_is_72(balance):
    decision = decide(purchase(), account(), program(), balance)
    assert (decision.reason, decision.detail) == (ReasonCode.INSUFFICIENT_POINTS, Detail.INSUFFICIENT_POINTS)


def test_balance_equal_to_points_required_redeems_in_full():
    decision = decide(purchase(), account(), program(), D(10000))
    assert decision.detail is Detail.REDEEMED_FULL and decision.pointsRedeemed == 10000


def test_too_few_points_without_partial_redemption_is_72():
    decision = decide(purchase(), account(frequency=SNGL), program(), D(9999))
    assert (decision.reason, decision.detail) == (ReasonCode.INSUFFICIENT_POINTS, Detail.INSUFFICIENT_POINTS)
    assert decision.pointsRedeemed == 0 and decision.cashBackAmount == 0
    assert not decision.turnPwrOff  # a single redemption that did not happen is not used up


def test_partial_redemption_below_one_increment_is_72():
    decision = decide(purchase(), account(), program(partialRedemption=PARTIAL_TENS), D(999))
    assert (decision.reason, decision.detail) == (ReasonCode.INSUFFICIENT_POINTS, Detail.INSUFFICIENT_POINTS)


def test_partial_redemption_with_a_single_preference_turns_it_off():
    decision = decide(purchase(), account(frequency=SNGL), program(partialRedemption=PARTIAL_TENS), D(7650))
    assert decision.partiallyRedeemed and decision.turnPwrOff


def test_partial_redemption_with_cent_increments_redeems_the_whole_balance_value():
    partial = {"enabled": True, "cashIncrement": "0.01"}
    decision = decide(purchase(), account(), program(partialRedemption=partial), D(7650))
    assert (decision.pointsRedeemed, decision.cashBackAmount) == (7650, D("76.50"))


@pytest.mark.parametrize(
    ("cost_per_point", "increment", "amount", "balance", "points", "cash"),
    [
        # 1 point = $1, UP rounding: $15.02 needs 16 points; 15.5 points cover $15.50 in cash but
        # not 16 whole points, so the partial credit is the largest $0.05 step the balance pays.
        ("1", "0.05", "15.02", "15.5", 15, "15.00"),
        # $0.03 a point: 10.5 points are worth $0.315, so $0.31, but $0.31 needs 11 points (10.33
        # rounded up): the largest step the balance pays is $0.30 for 10 points.
        ("0.03", "0.01", "100.00", "10.5", 10, "0.30"),
    ],
)
def test_partial_redemption_never_takes_more_points_than_the_balance_holds(
    cost_per_point, increment, amount, balance, points, cash
):
    chosen = program(
        baseConversion={"tiers": tiers(("0", cost_per_point))},
        roundingMethod="UP",
        partialRedemption={"enabled": True, "cashIncrement": increment},
    )
    decision = decide(purchase(amount), account(), chosen, D(balance))
    assert decision.detail is Detail.REDEEMED_PARTIAL
    assert (decision.pointsRedeemed, decision.cashBackAmount) == (points, D(cash))


def test_partial_with_fixed_amount_caps_at_the_fixed_amount():
    holder = account(fixedAccountRedemptionAmount=D("50.00"))
    decision = decide(purchase(), holder, program(partialRedemption=PARTIAL_TENS), D(4550))
    assert (decision.pointsRedeemed, decision.cashBackAmount) == (4000, D(40))
    assert decision.totalPointsRequired == 5000 and decision.partiallyRedeemed


@pytest.mark.parametrize(
    ("cost_per_point", "method", "points"),
    [
        ("0.097592", "UP", 11),  # $1.00 at $0.097592 a point = 10.2467... points (seed example)
        ("0.097592", "DOWN", 10),
        ("0.097592", "NATURAL", 10),
        ("0.180157", "UP", 6),  # $1.00 at $0.180157 a point = 5.5507... points (seed example)
        ("0.180157", "DOWN", 5),
        ("0.180157", "NATURAL", 6),
    ],
)
def test_program_rounding_method_makes_whole_points(cost_per_point, method, points):
    chosen = program(baseConversion={"tiers": tiers(("0", cost_per_point))}, roundingMethod=method)
    decision = decide(purchase("1.00"), account(), chosen, D(100))
    assert decision.totalPointsRequired == points
    assert decision.pointsRedeemed == points
    assert decision.cashBackAmount == D("1.00")


def test_default_rounding_is_natural():
    assert program().roundingMethod.value == "NATURAL"


def test_purchase_too_small_for_one_whole_point_redeems_nothing():
    # $0.01 at $0.03 a point is 0.33 points: NATURAL rounds to 0, a credit for no points is refused.
    chosen = program(baseConversion={"tiers": tiers(("0", "0.03"))})
    decision = decide(purchase("0.01"), account(), chosen, D(12000))
    assert (decision.reason, decision.detail) == (ReasonCode.PROGRAM_RULE_NOT_MET, Detail.NO_AMOUNT)
    assert decision.pointsRedeemed == 0 and decision.cashBackAmount == 0
    assert decide(purchase("0.02"), account(), chosen, D(12000)).pointsRedeemed == 1  # 0.67 rounds to 1


def test_partial_redemption_never_credits_cash_for_zero_points():
    # 1 point = $1, NATURAL: 0.4 points are worth $0.40 but round to 0 whole points.
    chosen = program(
        baseConversion={"tiers": tiers(("0", "1"))},
        partialRedemption={"enabled": True, "cashIncrement": "0.01"},
    )
    decision = decide(purchase("5.00"), account(), chosen, D("0.4"))
    assert decision.reason is ReasonCode.INSUFFICIENT_POINTS
    assert decision.cashBackAmount == 0


# -- reason code table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "category", "words"),
    [
        (ReasonCode.ELIGIBLE, "59", "E", "eligible"),
        (ReasonCode.REDEEMED, "60", "R", "redeemed"),
        (ReasonCode.PROGRAM_RULE_NOT_MET, "70", "I", "program rule"),
        (ReasonCode.NOT_APPROVED, "71", "I", "not approved"),
        (ReasonCode.INSUFFICIENT_POINTS, "72", "I", "insufficient points"),
        (ReasonCode.ACCOUNT_NOT_ELIGIBLE, "73", "I", "account status"),
        (ReasonCode.NOT_HOUSEHOLD_REDEEMER, "74", "I", "household"),
    ],
)
def test_reason_code_table(code, value, category, words):
    assert code.value == value
    assert ReasonCode(value) is code
    assert code.category == category
    assert words in code.description.lower()


def test_reason_codes_are_exactly_the_documented_table():
    assert sorted(code.value for code in ReasonCode) == ["59", "60", "70", "71", "72", "73", "74"]
    assert set(FILTER_CATEGORIES) == {code.category for code in ReasonCode} == {"R", "E", "I"}
