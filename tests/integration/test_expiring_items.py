"""Every table whose template declares a TTL gets that attribute, as epoch seconds in the future, on
the items the code writes to expire there (outbox items of a reprocess, nonces, notification markers)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from tools.samtemplate import resources

from rewards.adapters.dynamo import from_item
from tests.integration.test_authorizer import fresh_authorizer, get_profile, keys, signed, through_gateway
from tests.integration.test_reprocess import carol_purchase, reprocess

__all__ = ["fresh_authorizer", "keys", "signed"]  # the authorizer tests' fixtures, used here


def ttl_attribute(table_id: str) -> str | None:
    spec = resources("AWS::DynamoDB::Table")[table_id]["Properties"].get("TimeToLiveSpecification")
    return spec["AttributeName"] if spec and spec.get("Enabled") else None


def items(stack: Any, table_id: str) -> list[dict[str, Any]]:
    raw = stack.client("dynamodb").scan(TableName=stack.tables[table_id], ConsistentRead=True)["Items"]
    return [from_item(item) for item in raw]


def expires_in_the_future(item: dict[str, Any], attribute: str) -> bool:
    value = item.get(attribute)
    return isinstance(value, Decimal) and value == value.to_integral_value() and value > int(time.time())


def test_the_tables_with_a_ttl_are_the_ones_the_code_expires_items_in():
    declared = {t for t in resources("AWS::DynamoDB::Table") if ttl_attribute(t)}
    assert declared == {"LedgerTable", "NonceTable", "NotificationsTable"}


def test_a_reprocess_outbox_item_expires_and_the_ledger_does_not(demo):
    purchase = carol_purchase("TTL0000001")
    assert reprocess(purchase["id"])["statusCode"] == 200
    attribute = ttl_attribute("LedgerTable")
    assert attribute is not None
    found = items(demo, "LedgerTable")
    expiring = [item for item in found if attribute in item]
    assert expiring and all(expires_in_the_future(item, attribute) for item in expiring)
    assert all(item["sk"] == "EVENT" for item in expiring)  # records, entries and pools are kept


def test_notification_markers_expire(stack):
    from tests.integration.test_notifier import make_channels

    channels = make_channels(stack)
    channels.authorize("RANACERIN0001", "20.00", "TTLNOTIFY1")
    assert channels.notify(channels.new_outbox_records()) == {"batchItemFailures": []}
    markers = items(stack, "NotificationsTable")
    attribute = ttl_attribute("NotificationsTable")
    assert markers and attribute and all(expires_in_the_future(m, attribute) for m in markers)


def test_nonces_expire(signed, keys):
    assert through_gateway("RedeemersFunction", get_profile(keys["issuer"]))[1]["statusCode"] == 200
    [nonce] = items(signed, "NonceTable")
    attribute = ttl_attribute("NonceTable")
    assert attribute and expires_in_the_future(nonce, attribute)
