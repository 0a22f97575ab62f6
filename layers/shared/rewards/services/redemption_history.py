"""GET /redemptions: one page of an account's redemptions and credits, newest first, with the
opaque next_token that resumes the listing (checked against the account and date range)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Any

from rewards.adapters.dynamo import Item
from rewards.adapters.redemptions import (
    HISTORY_PREFIX,
    TOKEN_KEYS,
    RedemptionStore,
    credit_key,
    history_partition,
    redemption_key,
)
from rewards.domain import Caller, ClientRole
from rewards.errors import InvalidField
from rewards.models.dr import HistoryEntry, RedemptionHistory
from rewards.services.accounts import find_account
from rewards.services.use_case import UseCase

MAX_DATE_RANGE_DAYS = 366


class RedemptionHistoryListing(UseCase[RedemptionStore]):
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
        account = find_account(self.store, self.hash_card, caller, user_id, "RANAC", field="user_id")
        low = f"{HISTORY_PREFIX}{from_date.isoformat()}"
        high = f"{HISTORY_PREFIX}{to_date.isoformat()}T99"
        start = decode_token(next_token, account.accountId, low, high) if next_token else None
        own = caller.clientId if caller.role is ClientRole.MERCHANT else None  # a merchant sees its own only
        items, last = self.store.history_page(account.accountId, low, high, limit, start, own)
        return RedemptionHistory(
            redemptions=[history_entry(item) for item in items],
            nextToken=encode_token(last) if last else None,
        )


def history_entry(item: Item) -> HistoryEntry:
    common = {
        "redemptionId": int(item["redemptionId"]),
        "redemptionType": item["redemptionType"],
        "createdAt": item["createdAt"],
        "cashEquivalent": item.get("cashEquivalent"),
        "currencyCode": item.get("currencyCode"),
        "description": item.get("description"),
        "clientId": item.get("clientId"),
    }
    if item["type"] == "CREDIT":
        return HistoryEntry(
            entryType="CREDIT",
            id=item["creditId"],
            pointsCredited=item["pointsCredited"],
            totalPointsCredited=item["totalPointsCredited"],
            **common,
        )
    return HistoryEntry(
        entryType="REDEMPTION",
        id=item["requestId"],
        pointsRedeemed=item["pointsRedeemed"],
        totalPointsCredited=item["creditedPoints"],
        redemptionMatrixItemId=item.get("redemptionMatrixItemId"),
        redemptionItemId=item.get("redemptionItemId"),
        externalId=item.get("externalId"),
        **common,
    )


def encode_token(last_key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode()


def decode_token(token: str, account_id: str, low: str, high: str) -> dict[str, Any]:
    """The LastEvaluatedKey a previous page gave, only if it belongs to this account and range."""
    invalid = InvalidField("next_token", "next_token is not a token this listing returned", reason_code="INVALID_TOKEN")
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(key, dict) or set(key) != TOKEN_KEYS:
        raise invalid
    values = {}
    for name, attr in key.items():
        if not isinstance(attr, dict) or list(attr) != ["S"] or not isinstance(attr["S"], str):
            raise invalid
        values[name] = attr["S"]
    if values["gsi1pk"] != history_partition(account_id) or not low <= values["gsi1sk"] <= high:
        raise invalid
    if not values["pk"].startswith((redemption_key.prefix, credit_key.prefix)):
        raise invalid
    return key
