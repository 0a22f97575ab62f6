"""Who may redeem (PRODUCT.md §3.1 and §4): one predicate for PWR and Digital Redemptions."""

from __future__ import annotations

from rewards.domain import Account
from rewards.rules.reasons import Detail


def redeemer_refusal(account: Account) -> Detail | None:
    """Why the account may not redeem, or None: its status must be GOOD_STANDING or REDEEM_ONLY, and
    an account in a household must be one of its redeemers (a member without a role is not)."""
    if not account.status.may_redeem:
        return Detail.ACCOUNT_STATUS
    if account.householdId is not None and (account.householdRole is None or not account.householdRole.may_redeem):
        return Detail.NOT_REDEEMER
    return None
