"""What one request writes, and what it costs in DynamoDB write units: every write action the code
sends (counted at botocore), the size of every item it leaves, and the index copies it causes.
The requests are the files in events/ on the demo configuration, in-process moto.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.write_units

Write units follow DynamoDB's pricing rules: 1 per KB of item (rounded up) for a standard write, 2
per KB inside a transaction (a ConditionCheck costs as a write of its item); each index copy costs
1 per KB of the projected entry, and an update that moves an item between index partitions costs
the old entry's removal and the new one's write. Sizes are DynamoDB's: attribute names plus values
(numbers: about one byte per two significant digits, plus one; maps and lists: 3 bytes plus 1 per
element). The cost per million requests uses on-demand write units at $0.625 per million
(us-east-1, 2026 on-demand price list), writes only: reads, streams and Lambda are priced in
docs/performance.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import bench.round_trips  # noqa: F401 - sets the benchmark environment (credentials, Powertools quiet)

KB = 1024
PRICE_PER_MILLION_WRU = Decimal("0.625")
# The goals of docs/performance.md, in write units per request.
GOALS = {
    "PWR authorization that redeems, MULT": 8,
    "PWR authorization that redeems nothing": 2,
    "DR redemption, one line, externalId": 10,
}


def attribute_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of one attribute value (wire form: {"S": ...}, {"N": ...}, ...)."""
    [(kind, raw)] = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = raw.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(name.encode()) + attribute_size(v) + 1 for name, v in raw.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in raw)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in raw)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def units(size: int) -> int:
    return max(1, math.ceil(size / KB))


@dataclass
class Write:
    operation: str  # Put, Update, Delete, ConditionCheck (in a transaction) or PutItem, UpdateItem
    table: str
    key: tuple[str, str]
    transactional: bool
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return "LEDGER" if self.key[1].startswith("LEDGER#") else self.key[0].split("#", 1)[0]


@dataclass
class Measured:
    writes: list[Write] = field(default_factory=list)

    def table_units(self) -> int:
        total = 0
        for w in self.writes:
            size = max(item_size(w.before or {}), item_size(w.after or {}))
            total += units(size) * (2 if w.transactional else 1)
        return total

    def index_units(self, projected: Callable[[dict[str, Any]], dict[str, Any] | None]) -> int:
        def keys(entry: dict[str, Any]) -> tuple[Any, Any]:
            return entry["gsi1pk"], entry["gsi1sk"]

        total = 0
        for w in self.writes:
            old = projected(w.before) if w.before else None
            new = projected(w.after) if w.after else None
            if old == new:
                continue
            if old is not None and (new is None or keys(old) != keys(new)):
                total += units(item_size(old))  # the old entry's removal
            if new is not None:
                total += units(item_size(new))
        return total


def index_entry(item: dict[str, Any]) -> dict[str, Any] | None:
    """The gsi1 entry of a table item: keys and the projected attributes (template.yaml)."""
    from tools.samtemplate import resources

    [index] = resources()["LedgerTable"]["Properties"]["GlobalSecondaryIndexes"]
    if "gsi1pk" not in item or "gsi1sk" not in item:
        return None
    keep = {"pk", "sk", "gsi1pk", "gsi1sk", *index["Projection"].get("NonKeyAttributes", [])}
    return {name: value for name, value in item.items() if name in keep}


def key_of(item: dict[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


class Recorder:
    """botocore hooks on the functions' DynamoDB client: each write, with the item before it."""

    def __init__(self, reader: Any, tables: dict[str, str]) -> None:
        self.reader, self.tables = reader, tables
        self.measured: Measured | None = None

    def _read(self, table: str, key: tuple[str, str]) -> dict[str, Any] | None:
        answer = self.reader.get_item(
            TableName=table, Key={"pk": {"S": key[0]}, "sk": {"S": key[1]}}, ConsistentRead=True
        )
        item: dict[str, Any] | None = answer.get("Item")
        return item

    def _add(self, operation: str, table: str, params: dict[str, Any], transactional: bool) -> None:
        assert self.measured is not None
        key = key_of(params.get("Key") or params["Item"])
        self.measured.writes.append(Write(operation, table, key, transactional, self._read(table, key)))

    def before(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        if self.measured is None:
            return
        operation = event_name.rsplit(".", 1)[-1]
        if operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                [(kind, body)] = action.items()
                self._add(kind, body["TableName"], body, True)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self._add(operation, params["TableName"], params, False)

    def measure(self, request: Callable[[], Any]) -> Measured:
        self.measured = Measured()
        try:
            request()
        finally:
            measured, self.measured = self.measured, None
        for w in measured.writes:
            w.after = None if w.operation in ("Delete", "DeleteItem") else self._read(w.table, w.key)
            if w.operation == "ConditionCheck":
                w.after = w.before
        return measured


def scenarios() -> dict[str, Callable[[], Any]]:
    from tests.support import body, invoke, load_event, set_body
    from tools.make_events import on_item

    def authorization(account_id: str, external_id: str) -> Callable[[], Any]:
        event = load_event("apigw-post-authorization-sync")
        fields = json.loads(event["body"])
        fields.update(accountId=account_id, accountIdType="RANAC", externalId=external_id)
        return lambda: invoke("AuthorizationsFunction", set_body(event, json.dumps(fields)))

    made: dict[str, Any] = {}

    def redemption(external_id: str | None) -> Callable[[], Any]:
        event = load_event("apigw-post-redemption-cash-only")
        payload = {k: v for k, v in json.loads(event["body"]).items() if k != "externalId"}
        payload.update({"externalId": external_id} if external_id else {})

        def send() -> None:
            made["redemption"] = body(invoke("RedemptionsFunction", set_body(event, json.dumps(payload))))

        return send

    def credit() -> Any:
        line = made["redemption"]["items"][0]["redemptionId"]
        template = load_event("apigw-post-redemption-credit")
        event = on_item(
            "POST",
            "/redemptions/{id}/credits",
            str(line),
            body=json.dumps({"pointsCredited": 100}),
            authorizer={k: v for k, v in template["requestContext"]["authorizer"]["lambda"].items() if k != "bodyHash"},
        )
        return invoke("RedemptionsFunction", event)

    return {
        "PWR authorization that redeems, MULT": authorization("RANACBOB00001", "WRU0000000001"),
        "PWR authorization that redeems, SNGL": authorization("RANACALICE0001", "WRU0000000002"),
        "PWR authorization that redeems nothing": authorization("RANACCAROL0001", "WRU0000000003"),
        "PWR network copy (SQS), redeems nothing": lambda: invoke(
            "AuthProcessorFunction", load_event("sqs-network-authorization")
        ),
        "DR redemption, one line, externalId": redemption("WRU-DR-1"),
        "DR redemption, one line, no key": redemption(None),
        "DR credit of a line": credit,
    }


def notifier_units(recorder: Recorder, outbox_items: list[dict[str, Any]]) -> Measured:
    """The notifier's marker writes for these outbox items (every channel they owe)."""
    from tests.support import invoke
    from tools.local.streams import outbox_records, stream_record

    from rewards.adapters.dynamo import from_item

    records = [stream_record(from_item(item), n) for n, item in enumerate(outbox_items, start=1)]
    passed = outbox_records(records)
    if not passed:
        return Measured()
    return recorder.measure(lambda: invoke("NotifierFunction", {"Records": passed}))


def measure() -> list[tuple[str, Measured, Measured]]:
    from moto import mock_aws
    from tests.support import load_config, provision_stack

    from rewards import runtime

    results = []
    with mock_aws():
        runtime.reset()
        stack = provision_stack("bench")
        load_config(stack)
        reader = stack.client("dynamodb")
        recorder = Recorder(reader, stack.tables)
        runtime.aws_client("dynamodb").meta.events.register(
            "before-parameter-build.dynamodb", recorder.before, unique_id="bench-writes"
        )
        for name, request in scenarios().items():
            measured = recorder.measure(request)
            inserted = [w.after for w in measured.writes if w.before is None and w.after and "eventType" in w.after]
            results.append((name, measured, notifier_units(recorder, inserted)))
        runtime.reset()
    return results


def main() -> None:
    results = measure()
    print("Write units per request (DynamoDB pricing rules, sizes of the items the code wrote)")
    header = f"  {'request':40s} {'largest item':>12s} {'table':>6s} {'index':>6s} {'total':>6s}  goal"
    print(header)
    for name, measured, notified in results:
        kinds = ", ".join(f"{w.operation} {w.kind}" for w in measured.writes)
        table = measured.table_units()
        index = measured.index_units(index_entry)
        largest = max(item_size(w.after or w.before or {}) for w in measured.writes)
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"<= {goal} {'met' if table + index <= goal else 'NOT MET'}"
        print(f"  {name:40s} {largest:11d}B {table:6d} {index:6d} {table + index:6d}  {verdict}")
        print(f"  {'':40s} {kinds}")
        markers = notified.table_units()
        print(f"  {'':40s} then the notifier: {len(notified.writes)} marker writes, {markers} WRU")
        engine, all_in = (PRICE_PER_MILLION_WRU * n for n in (table + index, table + index + markers))
        print(f"  {'':40s} writes per million: ${engine:.3f} (request), ${all_in:.3f} (with the notifier's)")
    print(f"price: ${PRICE_PER_MILLION_WRU} per million write units (on-demand, us-east-1)")


if __name__ == "__main__":
    main()
