"""Digital Redemptions rules: scenarios, seed rounding examples, whole points, external items,
eligibility, credits; and the request model accepting seed 003's samples as written."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from rewards.domain import AccountStatus, HouseholdRole
from rewards.errors import AccountNotEligible, BusinessRefusal, Conflict, InsufficientPoints, InvalidField
from rewards.models.dr import REDEMPTION_REQUEST, CashbackRedemption, MerchandiseRedemption, TravelRedemption
from rewards.money import RoundingMethod
from rewards.rules.redemption_rules import (
    BAD_SOURCE_CODE,
    SKU_REQUIRED,
    Pricing,
    check_balance,
    check_eligible,
    check_external_item,
    credit_points,
    price_cashback,
    price_line,
)
from tests.support import load_event
from tests.unit.builders import account

pytestmark = pytest.mark.unit

D = Decimal


def pricing(cpp: str = "1", rounding: RoundingMethod = RoundingMethod.NATURAL, whole: bool = False) -> Pricing:
    return Pricing(D(cpp), rounding, whole)


# -- seed rounding examples: cash only, one point worth $1 ---------------------------------------
@pytest.mark.parametrize(
    ("cash", "method", "points"),
    [
        ("10.2467", RoundingMethod.UP, "11"),
        ("5.5507", RoundingMethod.UP, "6"),
        ("10.2467", RoundingMethod.DOWN, "10"),
        ("5.5507", RoundingMethod.DOWN, "5"),
        ("10.2467", RoundingMethod.NATURAL, "10"),
        ("5.5507", RoundingMethod.NATURAL, "6"),
    ],
)
def test_seed_rounding_examples(cash, method, points):
    assert price_line(None, D(cash), pricing("1", method), "items[0]").points == D(points)


def test_cash_only_computes_points_from_the_item_cost_per_point():
    line = price_line(None, D("10"), pricing("0.0123"), "items[0]")  # 813.008...
    assert (line.points, line.cash) == (D(813), D(10))


def test_points_only_values_the_points_at_the_item_cost_floored_to_the_cent():
    line = price_line(D("366.66"), None, pricing("0.03"), "items[0]")
    assert (line.points, line.cash) == (D("366.66"), D("10.99"))


def test_points_and_cash_must_agree_under_the_rounding():
    assert price_line(D(11), D("10.2467"), pricing("1", RoundingMethod.UP), "items[0]").points == D(11)
    with pytest.raises(InvalidField) as refused:
        price_line(D(11), D("10.2467"), pricing("1", RoundingMethod.DOWN), "items[0]")
    assert refused.value.field == "items[0].pointsRedeemed"
    assert refused.value.reason_code == "POINTS_CASH_MISMATCH"


def test_cash_worth_less_than_one_point_is_refused():
    with pytest.raises(InvalidField) as refused:
        price_line(None, D("0.01"), pricing("1", RoundingMethod.DOWN), "items[2]")
    assert refused.value.field == "items[2].cashEquivalent"


@pytest.mark.parametrize("cash", [None, D("3.5")])
def test_whole_points_programs_refuse_fractional_points(cash):
    with pytest.raises(InvalidField) as refused:
        price_line(D("3.5"), cash, pricing("1", whole=True), "items[0]")
    assert refused.value.reason_code == "WHOLE_POINTS_ONLY"
    assert price_line(D("3.5"), None, pricing("1"), "items[0]").points == D("3.5")


def test_cashback_may_not_exceed_the_value_of_its_points():
    assert price_cashback(D("366.66"), D("11.00"), pricing("0.03"), "items[0]").cash == D("11.00")
    with pytest.raises(InvalidField) as refused:
        price_cashback(D("366.66"), D("11.01"), pricing("0.03"), "items[0]")
    assert refused.value.field == "items[0].cashbackAmount"


# -- external items --------------------------------------------------------------------------------
def test_external_item_needs_a_sku_with_the_seed_text_and_reason():
    with pytest.raises(InvalidField) as refused:
        check_external_item("items[1]", None, "EC")
    assert (refused.value.description, refused.value.reason_code) == (SKU_REQUIRED, "-1")
    assert refused.value.description == "Invalid request. ItemSkuCode must be provided"


@pytest.mark.parametrize("source", ["PP", "T", "ec"])
def test_external_item_source_code_must_be_ec_or_es(source):
    with pytest.raises(InvalidField) as refused:
        check_external_item("items[0]", "2345", source)
    assert refused.value.description == BAD_SOURCE_CODE
    assert refused.value.description == "VALID Source Codes for Externally Hosted Item Redemption are 'EC','ES'"
    assert refused.value.reason_code == "-1"


@pytest.mark.parametrize("source", ["EC", "ES", None])
def test_external_item_accepts_ec_es_or_no_source_code_and_then_needs_only_the_sku(source):
    assert check_external_item("items[0]", "2345", source) is None
    with pytest.raises(InvalidField) as refused:
        check_external_item("items[0]", None, source)
    assert refused.value.field == "items[0].additionalDetails.itemSkuCode"


# -- eligibility and balance ------------------------------------------------------------------------
@pytest.mark.parametrize("status", [AccountStatus.GOOD_STANDING, AccountStatus.REDEEM_ONLY])
def test_good_standing_and_redeem_only_may_redeem(status):
    assert check_eligible(account(status=status, household="HH", role=HouseholdRole.REDEEMER)) is None


@pytest.mark.parametrize("status", list(AccountStatus))
@pytest.mark.parametrize("role", [None, *HouseholdRole])
def test_pay_with_rewards_and_digital_redemptions_agree_on_who_may_redeem(status, role):
    from rewards.rules.pipeline import decide
    from rewards.rules.reasons import ReasonCode
    from tests.unit.builders import D, program, purchase

    holder = account(status=status, household="HH" if role else None, role=role)
    refused = {ReasonCode.ACCOUNT_NOT_ELIGIBLE, ReasonCode.NOT_HOUSEHOLD_REDEEMER}
    pwr_may = decide(purchase(), holder, program(), D(1_000_000)).reason not in refused
    try:
        check_eligible(holder)
    except AccountNotEligible:
        dr_may = False
    else:
        dr_may = True
    assert pwr_may == dr_may
    assert dr_may == (
        status in (AccountStatus.GOOD_STANDING, AccountStatus.REDEEM_ONLY) and role is not HouseholdRole.NON_REDEEMER
    )


@pytest.mark.parametrize(
    "status", [AccountStatus.NEW, AccountStatus.CANCELLED, AccountStatus.ON_HOLD, AccountStatus.INACTIVE]
)
def test_other_statuses_may_not_redeem(status):
    with pytest.raises(AccountNotEligible) as refused:
        check_eligible(account(status=status))
    assert refused.value.reason_code == "ACCOUNT_NOT_ELIGIBLE"


def test_household_non_redeemer_may_not_redeem():
    with pytest.raises(AccountNotEligible) as refused:
        check_eligible(account(household="HH", role=HouseholdRole.NON_REDEEMER))
    assert refused.value.reason_code == "NOT_HOUSEHOLD_REDEEMER"


def test_balance_must_cover_the_total():
    check_balance(D(100), D(100))
    with pytest.raises(InsufficientPoints):
        check_balance(D("100.01"), D(100))


# -- credits ----------------------------------------------------------------------------------------
def test_credit_defaults_to_all_that_remains_and_never_more():
    assert credit_points(None, D(813), D(300), False) == D(513)
    assert credit_points(D(13), D(813), D(800), False) == D(13)
    with pytest.raises(BusinessRefusal) as refused:
        credit_points(D(14), D(813), D(800), False)
    assert refused.value.reason_code == "CREDIT_EXCEEDS_REDEMPTION"
    with pytest.raises(Conflict):
        credit_points(None, D(813), D(813), False)
    with pytest.raises(InvalidField):
        credit_points(D("0.5"), D(10), D(0), True)


# -- the request model --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("cashback", CashbackRedemption),
        ("merchandise", MerchandiseRedemption),
        ("external", MerchandiseRedemption),
        ("travel", TravelRedemption),
        ("points-only", MerchandiseRedemption),
        ("cash-only", MerchandiseRedemption),
        ("points-and-cash", MerchandiseRedemption),
    ],
)
def test_seed_samples_parse_into_their_type(name, model):
    raw = json.loads(load_event(f"apigw-post-redemption-{name}")["body"], parse_float=Decimal)
    assert isinstance(REDEMPTION_REQUEST.validate_python(raw), model)


def test_seed_values_keep_their_decimal_meaning():
    raw = json.loads(load_event("apigw-post-redemption-cashback")["body"], parse_float=Decimal)
    request = REDEMPTION_REQUEST.validate_python(raw)
    assert isinstance(request, CashbackRedemption)
    assert request.items[0].pointsRedeemed == D("366.66")
    cash_only = REDEMPTION_REQUEST.validate_python(json.loads(load_event("apigw-post-redemption-cash-only")["body"]))
    assert isinstance(cash_only, MerchandiseRedemption)
    assert cash_only.items[0].cashEquivalent == D(10) and cash_only.items[0].quantity == 2
    external = REDEMPTION_REQUEST.validate_python(json.loads(load_event("apigw-post-redemption-external")["body"]))
    assert isinstance(external, MerchandiseRedemption)
    assert external.items[0].additionalDetails is not None


def test_a_line_needs_an_item_reference_and_an_amount():
    raw = json.loads(load_event("apigw-post-redemption-points-only")["body"])
    del raw["items"][0]["redemptionMatrixItemId"]
    with pytest.raises(ValidationError):
        REDEMPTION_REQUEST.validate_python(raw)
    raw = json.loads(load_event("apigw-post-redemption-points-only")["body"])
    del raw["items"][0]["pointsRedeemed"]
    with pytest.raises(ValidationError):
        REDEMPTION_REQUEST.validate_python(raw)
