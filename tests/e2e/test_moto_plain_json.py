"""The moto process answers DynamoDB item operations with plain JSON of moto's result instead of
moto's shape-walking serializer (tools/local/moto_server.py). In check mode it runs both and
reports any difference; every item operation and attribute type the engine stores goes through it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from tools.local.moto_server import PLAIN_JSON_OPERATIONS, MotoServer

pytestmark = pytest.mark.e2e

ITEM = {
    "pk": {"S": "POOL#1"},
    "sk": {"S": "POOL"},
    "balance": {"N": "12000.50"},
    "flags": {"BOOL": True},
    "nothing": {"NULL": True},
    "record": {"M": {"id": {"S": "123"}, "lines": {"L": [{"N": "1"}, {"M": {"x": {"S": "y"}}}]}}},
}


@pytest.fixture
def checked_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("LOCAL_MOTO_SERIALIZER", "check")
    server = MotoServer(port=0)
    url = server.start()
    client = boto3.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    try:
        yield client
    finally:
        server.stop()


def test_item_operations_answer_what_moto_serializer_answers(checked_moto: Any):
    """Check mode fails any request whose plain JSON differs from moto's serializer (500)."""
    client = checked_moto
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
    client.put_item(TableName="t", Item=ITEM, ReturnValues="ALL_OLD")
    assert client.get_item(TableName="t", Key=key, ConsistentRead=True)["Item"] == ITEM
    # binary values and sets are not JSON as moto holds them: moto's serializer answers those
    odd = {"pk": {"S": "ODD"}, "sk": {"S": "1"}, "blob": {"B": b"\x00\x01"}, "tags": {"SS": ["a"]}, "ns": {"NS": ["1"]}}
    client.put_item(TableName="t", Item=odd)
    assert client.get_item(TableName="t", Key={"pk": odd["pk"], "sk": odd["sk"]})["Item"] == odd
    assert client.get_item(TableName="t", Key={"pk": {"S": "none"}, "sk": {"S": "none"}}).get("Item") is None
    batch = client.batch_get_item(RequestItems={"t": {"Keys": [key], "ConsistentRead": True}})
    assert batch["Responses"]["t"][0]["record"] == ITEM["record"]
    query = client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEM["pk"]})
    assert query["Count"] == 1 and query["Items"] == [ITEM]
    assert client.scan(TableName="t", FilterExpression="attribute_exists(flags)")["Items"] == [ITEM]
    updated = client.update_item(
        TableName="t",
        Key=key,
        UpdateExpression="SET balance = balance - :p",
        ExpressionAttributeValues={":p": {"N": "0.50"}},
        ReturnValues="ALL_NEW",
    )
    assert Decimal(updated["Attributes"]["balance"]["N"]) == Decimal("12000")
    client.transact_write_items(
        TransactItems=[{"Put": {"TableName": "t", "Item": {**key, "sk": {"S": "LEDGER#1"}, "points": {"N": "5"}}}}]
    )
    with pytest.raises(client.exceptions.TransactionCanceledException):  # an error stays moto's
        client.transact_write_items(
            TransactItems=[
                {"ConditionCheck": {"TableName": "t", "Key": key, "ConditionExpression": "attribute_not_exists(pk)"}}
            ]
        )
    client.delete_item(TableName="t", Key=key, ReturnValues="ALL_OLD")
    assert {"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem"} < PLAIN_JSON_OPERATIONS
