"""Writing the cardholders of a configuration document into the ledger table (the configuration
loader's): pools, accounts and the card and customer-number lookups. Reloading a document never
resets a balance (a pool's balance is ledger state) nor an account's preferences."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from rewards.adapters.dynamo import Table, TransactionRefused, to_attr
from rewards.adapters.ledger_items import account_key, bcn_key, card_key, pool_key, preferences_to_item
from rewards.domain import AccountRef, CardholderPreferences


class CardholderStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create_pool(self, pool_id: str, program_id: str, opening: Decimal) -> None:
        pk, sk = pool_key(pool_id)
        values = {
            "pk": pk,
            "sk": sk,
            "type": "POOL",
            "poolId": pool_id,
            "programId": program_id,
            "openingBalance": opening,
            "balance": opening,
            "totalDebits": 0,
            "totalCredits": 0,
        }
        with contextlib.suppress(TransactionRefused):  # an existing pool's balance is ledger state
            self.table.put(values, condition="attribute_not_exists(pk)")

    def save_account(self, static: dict[str, object], preferences: CardholderPreferences, card_hash: str) -> None:
        """A new account with its preferences, or an existing one's static fields (its preferences
        and version stay); then its card lookup, with the program beside the account so that a
        caller's access is checked before the account is read."""
        account_id = str(static["accountId"])
        pk, sk = account_key(account_id)
        item = {"pk": pk, "sk": sk, "type": "ACCOUNT", **static, "version": 0}
        item["preferences"] = preferences_to_item(preferences)
        try:
            self.table.put(item, condition="attribute_not_exists(pk)")
        except TransactionRefused:
            present = {k: v for k, v in static.items() if v is not None}
            sets = ", ".join(f"#{k} = :{k}" for k in present)
            removes = ", ".join(f"#{k}" for k, v in static.items() if v is None)
            self.table.update(
                pk,
                sk,
                UpdateExpression=f"SET {sets}" + (f" REMOVE {removes}" if removes else ""),
                ExpressionAttributeNames={f"#{k}": k for k in static},
                ExpressionAttributeValues={f":{k}": to_attr(v) for k, v in present.items()},
            )
        card_pk, card_sk = card_key(card_hash)
        lookup = {"accountId": account_id, "programId": static["programId"], "poolId": static["poolId"]}
        self.table.put({"pk": card_pk, "sk": card_sk, **lookup})

    def save_customer(self, bcn_hash: str, accounts: list[AccountRef]) -> None:
        pk, sk = bcn_key(bcn_hash)
        entries = [{"accountId": a.accountId, "programId": a.programId} for a in accounts]
        self.table.put({"pk": pk, "sk": sk, "accounts": entries})
