"""GET /redemptions: one page of an account's redemptions and credits, newest first, with the
opaque next_token that resumes the listing (only within the account and the date range)."""

from __future__ import annotations

from datetime import date

from rewards.domain import Caller, ClientRole
from rewards.errors import InvalidField
from rewards.ledger import InvalidStart
from rewards.models.dr import HistoryEntry, RedemptionHistory
from rewards.models.pwr import RebateState
from rewards.records import HistoryEntry as Entry
from rewards.records import RedemptionHistoryQuery
from rewards.rules.rebates import line_rebate
from rewards.services.accounts import find_account
from rewards.services.continuation import decode_token, encode_token, invalid_token
from rewards.services.rebate_states import rebate_states
from rewards.services.use_case import UseCase

MAX_DATE_RANGE_DAYS = 366


class RedemptionHistoryListing(UseCase):
    def history(
        self,
        caller: Caller,
        user_id: str,
        from_date: date,
        to_date: date,
        limit: int,
        next_token: str | None,
    ) -> RedemptionHistory:
        if to_date < from_date:
            raise InvalidField("to_date", "to_date must not be before from_date")
        if (to_date - from_date).days > MAX_DATE_RANGE_DAYS:
            raise InvalidField("to_date", f"The date range may not exceed {MAX_DATE_RANGE_DAYS} days")
        account = find_account(self.ledger, self.hash_card, caller, user_id, "RANAC", field="user_id")
        own = caller.clientId if caller.role is ClientRole.MERCHANT else None  # a merchant sees its own only
        start = decode_token(next_token, account.accountId) if next_token else None
        query = RedemptionHistoryQuery(account.accountId, from_date, to_date, limit, start, own)
        try:
            page = self.ledger.redemption_history(query)
        except InvalidStart:
            raise invalid_token() from None
        owed = [rebate_owed(entry) for entry in page.entries]
        states = rebate_states(self.rebates, owed)
        return RedemptionHistory(
            redemptions=[
                history_entry(entry, states.get(reference) if reference else None)
                for entry, reference in zip(page.entries, owed, strict=True)
            ],
            nextToken=encode_token(page.next_start, account.accountId) if page.next_start else None,
        )


def rebate_owed(entry: Entry) -> str | None:
    """The rebate a listed entry owes: a CASHBACK line does, a credit never."""
    if entry.credit is not None:
        return None
    return line_rebate(entry.line.redemption_id, entry.line.redemption_type, entry.line.cash)


def history_entry(entry: Entry, rebate: RebateState | None = None) -> HistoryEntry:
    line = entry.line
    common = {
        "redemptionId": line.redemption_id,
        "redemptionType": line.redemption_type,
        "currencyCode": line.currency or None,
    }
    if entry.credit is not None:
        credit = entry.credit
        return HistoryEntry(
            entryType="CREDIT",
            id=credit.credit_id,
            createdAt=credit.created_at,
            pointsCredited=credit.points,
            totalPointsCredited=credit.total_credited,
            cashEquivalent=credit.cash,
            description=credit.description,
            clientId=credit.client_id,
            **common,
        )
    return HistoryEntry(
        entryType="REDEMPTION",
        id=line.request_id,
        createdAt=line.created_at,
        pointsRedeemed=line.points,
        totalPointsCredited=line.credited,
        cashEquivalent=line.cash,
        redemptionMatrixItemId=line.matrix_item_id,
        redemptionItemId=line.redemption_item_id,
        externalId=line.external_id,
        description=line.description,
        clientId=line.client_id,
        rebate=rebate,
        **common,
    )
