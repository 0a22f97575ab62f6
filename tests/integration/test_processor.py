"""The SQS authorization processor (AuthProcessorFunction) on moto: partial batch failures,
redelivery, unknown cards ending in the dead-letter queue, and batched reads."""

from __future__ import annotations

import copy
import json
from collections import Counter
from decimal import Decimal
from typing import Any

from tools.apigw import sqs_event

from rewards import runtime
from tests.support import DEMO_CONFIG, account_authorizations, invoke, load_config, load_event

PROCESSOR = "AuthProcessorFunction"


def network_body(event_name: str = "sqs-network-authorization") -> dict[str, Any]:
    return json.loads(load_event(event_name)["Records"][0]["body"])


def failed_ids(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def ledger_entries(pool_id: str) -> list[Any]:
    return list(runtime.ledger().pool_ledger(pool_id).entries)


def balance(pool_id: str) -> Decimal:
    pool = runtime.ledger().pool(pool_id)
    assert pool is not None
    return pool.balance


def authorization_items(stack) -> list[Any]:
    """Every stored authorization (the demo's household)."""
    return [a for account in ("RANACALICE0001", "RANACBOB00001") for a in account_authorizations(stack, account)]


def test_single_network_authorization_redeems(demo):
    response = invoke(PROCESSOR, load_event("sqs-network-authorization"))
    assert failed_ids(response) == []
    [entry] = ledger_entries("HH-DEMO-1")
    assert entry.kind == "DEBIT" and entry.points == Decimal(10000)
    assert balance("HH-DEMO-1") == Decimal(2000)
    items = demo.client("dynamodb").scan(TableName=demo.ledger_table)["Items"]
    assert "5555555555554444" not in json.dumps(items)  # the network copy is keyed by BAN


def test_poison_record_fails_alone_and_the_others_commit(demo):
    event = load_event("sqs-batch-with-poison")
    poison_id = event["Records"][1]["messageId"]

    response = invoke(PROCESSOR, event)

    assert failed_ids(response) == [poison_id]
    auths = authorization_items(demo)
    assert sorted(a.external_id for a in auths) == ["NET0000000001", "NET0000000002"]
    # alice (SNGL) redeems $100 = 10,000 points; bob (MULT, same household) then redeems $20 of his $25
    # from the 2,000 left (partial, $10 increments)
    entries = ledger_entries("HH-DEMO-1")
    assert sorted(e.points for e in entries) == [Decimal(2000), Decimal(10000)]
    assert balance("HH-DEMO-1") == Decimal(0)


def test_schema_invalid_record_fails_alone(demo):
    bad = network_body()
    bad["authorization"]["cardholderBillingAmount"] = "-1"
    event = sqs_event([json.dumps(bad), json.dumps(network_body())])
    response = invoke(PROCESSOR, event)
    assert failed_ids(response) == [event["Records"][0]["messageId"]]
    assert len(ledger_entries("HH-DEMO-1")) == 1


def test_message_delivered_three_times_in_one_batch_redeems_once(demo):
    body = json.dumps(network_body())
    event = sqs_event([body, body, body])
    assert len({r["messageId"] for r in event["Records"]}) == 3

    response = invoke(PROCESSOR, event)

    assert failed_ids(response) == []
    [entry] = ledger_entries("HH-DEMO-1")
    assert entry.kind == "DEBIT"
    assert balance("HH-DEMO-1") == Decimal(2000)
    assert len(authorization_items(demo)) == 1


def test_message_redelivered_in_later_batches_redeems_once(demo):
    body = json.dumps(network_body())
    for _ in range(3):
        assert failed_ids(invoke(PROCESSOR, sqs_event([body]))) == []
    assert len(ledger_entries("HH-DEMO-1")) == 1
    assert balance("HH-DEMO-1") == Decimal(2000)
    assert len(authorization_items(demo)) == 1


def unknown_card_body() -> str:
    body = network_body()
    body["externalId"] = "NET0000000099"
    body["authorization"]["accountId"] = "4000000000000002"
    return json.dumps(body)


def test_unknown_card_fails_its_record(demo):
    known = json.dumps(network_body())
    event = sqs_event([unknown_card_body(), known])
    response = invoke(PROCESSOR, event)
    assert failed_ids(response) == [event["Records"][0]["messageId"]]
    assert len(authorization_items(demo)) == 1


def as_lambda_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    event = sqs_event([m["Body"] for m in messages])
    for record, message in zip(event["Records"], messages, strict=True):
        record["messageId"] = message["MessageId"]
        record["receiptHandle"] = message["ReceiptHandle"]
    return event


def poll_once(stack) -> int:
    """What the Lambda event source mapping does: receive, invoke, delete the records that succeeded."""
    sqs = stack.client("sqs")
    url = stack.queues["AuthorizationQueue"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    if not messages:
        return 0
    failed = set(failed_ids(invoke(PROCESSOR, as_lambda_event(messages))))
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def test_unknown_card_ends_in_the_dead_letter_queue_after_the_receive_limit(demo):
    sqs = demo.client("sqs")
    sqs.send_message(QueueUrl=demo.queues["AuthorizationQueue"], MessageBody=unknown_card_body())
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=demo.queues["AuthorizationQueue"], AttributeNames=["RedrivePolicy"])[
            "Attributes"
        ]["RedrivePolicy"]
    )
    receives = 0
    while poll_once(demo):
        receives += 1
        assert receives <= int(redrive["maxReceiveCount"]), "the message never left the queue"

    assert receives == int(redrive["maxReceiveCount"])
    dead = sqs.receive_message(QueueUrl=demo.queues["AuthorizationDeadLetterQueue"], MaxNumberOfMessages=10)
    [message] = dead["Messages"]
    assert json.loads(message["Body"])["externalId"] == "NET0000000099"
    assert authorization_items(demo) == []


# -- batched reads ------------------------------------------------------------------------
CARDHOLDERS = 10


def card_number(index: int) -> str:
    return f"51000000000{index:05d}"


def many_cardholders_config() -> str:
    """The demo document plus ten cardholders with their own pools and PWR on."""
    users = "\n".join(
        f"""  - userId: batch{index}
    accounts:
      - accountId: RANACBATCH{index:04d}
        cardNumber: "{card_number(index)}"
        programId: PWRDEMO
        openingBalance: 5000
        preferences: {{redemptionFrequency: MULT}}"""
        for index in range(CARDHOLDERS)
    )
    return DEMO_CONFIG.read_text() + users + "\n"


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def card_batch() -> dict[str, Any]:
    template = network_body()
    bodies = []
    for index in range(CARDHOLDERS):
        message = copy.deepcopy(template)
        message["externalId"] = f"NETBATCH{index:05d}"
        message["authorization"]["accountId"] = card_number(index)
        message["authorization"]["cardholderBillingAmount"] = "20.00"
        bodies.append(json.dumps(message))
    return sqs_event(bodies)


def counted_batch(event: dict[str, Any]) -> Counter[str]:
    """The DynamoDB and SSM calls of one invocation."""
    counter = CallCounter()
    runtime.aws_client("dynamodb").meta.events.register("before-call.dynamodb", counter)
    runtime.aws_client("ssm").meta.events.register("before-call.ssm", counter)
    response = invoke(PROCESSOR, event)
    assert failed_ids(response) == []
    return counter.calls


def test_batch_of_ten_card_numbers_reads_in_batches(stack):
    load_config(stack, text=many_cardholders_config())
    runtime.reset()  # a new container: neither the card-hash key nor the program is cached

    cold = counted_batch(card_batch())

    # the key once, the card lookups, then accounts + pools + the program in one BatchGetItem
    assert cold == {"GetParameter": 1, "BatchGetItem": 2, "TransactWriteItems": CARDHOLDERS}, cold
    assert sum(cold.values()) / CARDHOLDERS <= 1.3
    for index in range(CARDHOLDERS):
        assert balance(f"RANACBATCH{index:04d}") == Decimal(3000)  # $20 at $0.01


def test_a_warm_container_reads_a_card_batch_in_two_requests(stack):
    load_config(stack, text=many_cardholders_config())
    runtime.config_store().program("PWRDEMO")  # a warm container has the key and the program cached
    runtime.card_secret()

    warm = counted_batch(card_batch())

    assert warm == {"BatchGetItem": 2, "TransactWriteItems": CARDHOLDERS}, warm
    assert sum(warm.values()) / CARDHOLDERS <= 1.2


def test_a_card_lookup_without_its_pool_still_finds_the_right_pool(stack):
    """A lookup written before it named the pool (or naming an old one): the account's pool is read after it."""
    load_config(stack, text=many_cardholders_config())
    dynamodb = stack.client("dynamodb")
    for item in dynamodb.scan(TableName=stack.ledger_table)["Items"]:
        if item["sk"]["S"] == "CARD" and item["accountId"]["S"].startswith("RANACBATCH"):
            stale = {**item, "poolId": {"S": "HH-DEMO-1"}} if item["accountId"]["S"].endswith("0") else item
            stale = {k: v for k, v in stale.items() if k != "poolId"} if stale is item else stale
            dynamodb.put_item(TableName=stack.ledger_table, Item=stale)

    calls = counted_batch(card_batch())

    assert calls["BatchGetItem"] == 3, calls  # the pools no lookup named, after their accounts
    for index in range(CARDHOLDERS):
        assert balance(f"RANACBATCH{index:04d}") == Decimal(3000)
    assert balance("HH-DEMO-1") == Decimal(12000)  # the pool a stale lookup named is untouched
