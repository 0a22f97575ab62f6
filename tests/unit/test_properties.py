"""Properties of the PWR pipeline that hold for every program, account, purchase and balance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewards.domain import Account, RedemptionFrequency
from rewards.models.config import Program
from rewards.models.pwr import AuthorizationRequest
from rewards.rules.conversion import Purchase
from rewards.rules.pipeline import Decision, decide
from rewards.rules.reasons import ReasonCode
from rewards.services.authorizations import purchase_of
from tests.unit.builders import account, authorization_fields, program, purchase

pytestmark = pytest.mark.unit

EXAMPLES = settings(max_examples=200, deadline=None)


def money(low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2, allow_nan=False, allow_infinity=False)


# Common costs per point (seed $0.01 and $0.012, a point worth dollars) and arbitrary ones.
costs = st.sampled_from([Decimal(v) for v in ("0.01", "0.012", "0.03", "0.07", "1", "2.5")]) | st.decimals(
    min_value=Decimal("0.000100"), max_value=Decimal("5"), places=6, allow_nan=False, allow_infinity=False
)
amounts = money("0.01", "20000")
balances = st.one_of(
    st.integers(min_value=0, max_value=5_000_000).map(Decimal),
    st.decimals(min_value=0, max_value=Decimal(500_000), places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=Decimal(2_000), places=1, allow_nan=False, allow_infinity=False),
)


@st.composite
def programs(draw: st.DrawFn) -> Program:
    starts = sorted(draw(st.sets(money("1", "5000"), max_size=2)))
    tier_list = [{"fromAmount": "0", "costPerPoint": str(draw(costs))}]
    tier_list += [{"fromAmount": str(start), "costPerPoint": str(draw(costs))} for start in starts]
    fields: dict[str, Any] = {
        "baseConversion": {"tiers": tier_list},
        "roundingMethod": draw(st.sampled_from(["UP", "DOWN", "NATURAL"])),
        "redemptionMinimumCash": str(draw(st.one_of(st.just(Decimal(0)), money("0", "50")))),
        "partialRedemption": {
            "enabled": draw(st.booleans()),
            "cashIncrement": str(draw(st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal(1), Decimal(10)]))),
        },
    }
    return program(**fields)


@st.composite
def accounts(draw: st.DrawFn) -> Account:
    return account(
        frequency=draw(st.sampled_from(list(RedemptionFrequency))),
        minAccountPurchaseThreshold=draw(st.none() | money("0", "200")),
        fixedAccountRedemptionAmount=draw(st.none() | money("0.01", "500")),
    )


@dataclass(frozen=True)
class Case:
    purchase: Purchase
    account: Account
    program: Program
    balance: Decimal
    post_purchase: bool

    def decide(self, balance: Decimal | None = None) -> Decision:
        chosen = self.balance if balance is None else balance
        return decide(self.purchase, self.account, self.program, chosen, post_purchase=self.post_purchase)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    return Case(
        purchase=purchase(draw(amounts)),
        account=draw(accounts()),
        program=draw(programs()),
        balance=draw(balances),
        post_purchase=draw(st.booleans()),
    )


@EXAMPLES
@given(cases())
def test_never_more_points_than_the_balance(case: Case):
    decision = case.decide()
    assert decision.pointsRedeemed <= case.balance
    assert case.balance - decision.pointsRedeemed >= 0


@EXAMPLES
@given(cases())
def test_never_more_cash_than_the_purchase_nor_the_fixed_amount(case: Case):
    decision = case.decide()
    assert 0 <= decision.cashBackAmount <= case.purchase.amount
    fixed = case.account.preferences.fixedAccountRedemptionAmount
    if fixed is not None:
        assert decision.cashBackAmount <= fixed


@EXAMPLES
@given(cases())
def test_partial_cash_is_a_multiple_of_the_increment(case: Case):
    decision = case.decide()
    if decision.partiallyRedeemed:
        assert decision.cashBackAmount % case.program.partialRedemption.cashIncrement == 0
        assert case.program.partialRedemption.enabled


@EXAMPLES
@given(cases())
def test_points_are_whole_and_a_redemption_costs_points_and_credits_cash(case: Case):
    decision = case.decide()
    assert decision.pointsRedeemed == decision.pointsRedeemed.to_integral_value()
    if decision.redeemed:
        assert decision.pointsRedeemed > 0
        assert decision.cashBackAmount > 0
    else:
        assert decision.pointsRedeemed == 0 and decision.cashBackAmount == 0
        assert not decision.turnPwrOff


@EXAMPLES
@given(cases())
def test_full_redemption_pays_exactly_the_points_required(case: Case):
    decision = case.decide()
    if decision.redeemed and not decision.partiallyRedeemed:
        assert decision.pointsRedeemed == decision.totalPointsRequired
        fixed = case.account.preferences.fixedAccountRedemptionAmount
        expected = case.purchase.amount if fixed is None else min(fixed, case.purchase.amount)
        assert decision.cashBackAmount == expected


@EXAMPLES
@given(cases(), balances)
def test_more_points_never_turn_a_redemption_into_none_nor_pay_less(case: Case, extra: Decimal):
    before = case.decide()
    after = case.decide(case.balance + extra)
    if before.redeemed:
        assert after.redeemed
        assert after.cashBackAmount >= before.cashBackAmount
    elif before.reason is not ReasonCode.INSUFFICIENT_POINTS:
        assert after.reason is before.reason  # refusals other than 72 do not depend on the balance


@EXAMPLES
@given(cases())
def test_single_preference_is_used_up_only_by_a_redemption(case: Case):
    decision = case.decide()
    single = case.account.preferences.redemptionFrequency is RedemptionFrequency.SNGL
    assert decision.turnPwrOff == (decision.redeemed and single and not case.post_purchase)


@EXAMPLES
@given(
    billing=amounts,
    de004=st.none() | st.from_regex(r"\A\d{1,9}(\.\d{1,2})?\Z"),
    program_=programs(),
    account_=accounts(),
    balance=balances,
)
def test_de004_never_changes_the_decision(billing, de004, program_, account_, balance):
    def decision_for(transaction_amount: str | None) -> Decision:
        body = authorization_fields(cardholderBillingAmount=str(billing), transactionAmount=transaction_amount)
        facts = purchase_of(AuthorizationRequest.model_validate(body), account_)
        return decide(facts, account_, program_, balance)

    assert decision_for(de004) == decision_for(None) == decision_for(str(billing))
