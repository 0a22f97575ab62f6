"""Digital Redemptions items in the ledger table (the layout of ``adapters/ledger.py`` plus):

DRREQUEST#{id}      / DRREQUEST   one POST /redemptions: payload hash, line ids, the response to replay
REDEMPTION#{rid}    / REDEMPTION  one redemption line: points, creditablePoints, creditedPoints
                                  (gsi1: ACCOUNT#{ranac} / DR#{time}#REDEMPTION#{rid})
CREDIT#{id}         / CREDIT      one credit (reversal) of a line, with its response
                                  (gsi1: ACCOUNT#{ranac} / DR#{time}#CREDIT#{id})
UNIQUE#DR#{client}#{externalId}, UNIQUE#IDEM#{client}#{key}, UNIQUE#IDEMCREDIT#{client}#{key}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rewards.adapters.dynamo import Item, Op, Table, from_item
from rewards.adapters.ledger import ItemKey, LedgerStore, account_key, authorization_key

HISTORY_PREFIX = "DR#"
TOKEN_KEYS = {"pk", "sk", "gsi1pk", "gsi1sk"}


request_key = ItemKey("DRREQUEST")
redemption_key = ItemKey("REDEMPTION")
credit_key = ItemKey("CREDIT")


def history_partition(account_id: str) -> str:
    """gsi1pk of an account's redemptions and credits (and of its authorizations)."""
    return account_key.pk(account_id)


class RedemptionStore(LedgerStore):
    """LedgerStore plus the Digital Redemptions records, conditional credit and history pages."""

    def __init__(self, table: Table) -> None:
        super().__init__(table)

    # -- reads -----------------------------------------------------------------------
    def request_record(self, request_id: str) -> Item | None:
        return self.table.get(*request_key(request_id))

    def redemption(self, redemption_id: int) -> Item | None:
        return self.table.get(*redemption_key(redemption_id))

    def credit_record(self, credit_id: str) -> Item | None:
        return self.table.get(*credit_key(credit_id))

    def history_page(
        self,
        account_id: str,
        low: str,
        high: str,
        limit: int,
        start_key: dict[str, Any] | None,
        client_id: str | None = None,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        """One page of an account's redemptions and credits, newest first, and where the next one starts.

        With ``client_id`` only that client's entries are kept (a page may then hold fewer than ``limit``)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":pk": {"S": history_partition(account_id)},
                ":lo": {"S": low},
                ":hi": {"S": high},
            },
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        if client_id is not None:
            kwargs["FilterExpression"] = "clientId = :client"
            kwargs["ExpressionAttributeValues"][":client"] = {"S": client_id}
        response = Table._call(self.table.client.query, **kwargs)
        items = [from_item(raw) for raw in response.get("Items", [])]
        return items, response.get("LastEvaluatedKey")

    # -- transaction actions ---------------------------------------------------------
    def request_op(self, values: dict[str, Any]) -> Op:
        return Op("request", self.table.put_action(values))

    def line_op(self, values: dict[str, Any]) -> Op:
        """A redemption line; its random numeric id must not exist yet."""
        return Op("record", self.table.put_action(values))

    def named_unique_op(self, role: str, business_key: str, reference: str, now: Any) -> Op:
        """``unique_op`` with its own role, so a refusal says which key was taken."""
        return Op(role, self.unique_op(business_key, reference, now).action)

    def credit_line_op(self, redemption_id: int, points: Decimal, seen_credited: Decimal) -> Op:
        """Take ``points`` from what the line still allows to credit, never below zero, and only from
        the credited total the request read (so its answer's totals are exact)."""
        pk, sk = redemption_key(redemption_id)
        return Op(
            "creditable",
            self.table.update_action(
                pk,
                sk,
                "SET creditablePoints = creditablePoints - :p, creditedPoints = creditedPoints + :p",
                {":p": points, ":seen": seen_credited},
                condition="attribute_exists(pk) AND creditablePoints >= :p AND creditedPoints = :seen",
            ),
        )

    def statement_credit_op(self, auth_id: str, account_id: str, values: dict[str, Any]) -> Op:
        """Record a model-2 statement credit on a processed authorization, once, and update its outcome."""
        pk, sk = authorization_key(auth_id)
        return Op(
            "authorization",
            self.table.update_action(
                pk,
                sk,
                "SET statementCredit = :credit, #record.responseReasonId = :reason,"
                " #record.responseReasonDesc = :desc, #record.pointsRedeemed = :points,"
                " #record.cashBackAmount = :cash",
                {
                    ":credit": values["statementCredit"],
                    ":reason": values["responseReasonId"],
                    ":desc": values["responseReasonDesc"],
                    ":points": values["pointsRedeemed"],
                    ":cash": values["cashBackAmount"],
                    ":account": account_id,
                },
                condition="attribute_exists(pk) AND accountId = :account AND attribute_not_exists(statementCredit)",
                names={"#record": "record"},
            ),
        )
