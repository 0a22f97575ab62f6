"""Fault injection at every AWS call of the notifier (for one committed event) and of the webhook
sender (for one delivery), plus a failing or hanging HTTP receiver. Failed records are redelivered
as Lambda does (stream: the failed record again; SQS: the message again); every channel must end
up sent exactly once, as in the fault-free run, and a fault that never clears leaves the record
failed with its reason logged and nothing sent twice."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from moto import mock_aws
from moto.ses.models import ses_backends
from tools import provision
from tools.apigw import http_event
from tools.local.streams import captured_sms, ledger_stream_arn, outbox_records, poll_stream_once, published_events
from tools.local.webhook_receiver import LOCAL_WEBHOOK_SECRET, register_webhook_secrets

from rewards import runtime
from rewards.notifications.signing import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.integration.test_notifier import purchase
from tests.integration.test_webhooks import sqs_event
from tests.reliability.lost_answers import ALL_SENDS, LostAnswers
from tests.support import Stack, body, invoke, load_config, provision_stack

PROGRAM, CLIENT = "NFAULT", "nfault-issuer"
SECRET_PARAM = "/rewards/test/webhooks/nfault-issuer"
STREAM_RETRIES = 10  # the LedgerStream event source's MaximumRetryAttempts
WEBHOOK_RECEIVES = 6  # WebhookDeliveryQueue maxReceiveCount
HTTP_TIMEOUT = 0.3  # the sender's POST timeout in these tests (seconds)
_serial = itertools.count(1)


# -- faults ------------------------------------------------------------------------------------
def throttled(operation: str) -> Exception:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


def internal_error(operation: str) -> Exception:
    error = {"Error": {"Code": "InternalError", "Message": "try again"}, "ResponseMetadata": {"HTTPStatusCode": 500}}
    return ClientError(error, operation)  # type: ignore[arg-type]


def read_timeout(operation: str) -> Exception:
    return ReadTimeoutError(endpoint_url="https://aws.invalid")


def connection_lost(operation: str) -> Exception:
    return EndpointConnectionError(endpoint_url="https://aws.invalid")


FAULTS: dict[str, Callable[[str], Exception]] = {
    "throttling": throttled,
    "internal-error": internal_error,
    "read-timeout": read_timeout,
    "connection-error": connection_lost,
}


class Injector:
    """botocore hooks on the functions' clients; each call gets a label naming what it touches.
    ``once[label]`` fails that call the next time it is made, ``always`` every time. A label made
    a second time in one invocation is numbered ("... 2"), so each call of the matrix is its own."""

    SERVICES = ("dynamodb", "sns", "ses", "sqs", "ssm")

    def __init__(self, tables: dict[str, str]) -> None:
        self.table_ids = {name: logical for logical, name in tables.items()}
        self.armed = False
        self.calls: list[str] = []
        self.this_invocation: list[str] = []
        self.once: dict[str, Callable[[str], Exception]] = {}
        self.always: dict[str, Callable[[str], Exception]] = {}
        for service in self.SERVICES:
            runtime.aws_client(service).meta.events.register(f"before-parameter-build.{service}", self._before)

    def arm(self) -> None:
        self.armed, self.calls, self.once, self.always = True, [], {}, {}
        self.new_invocation()

    def new_invocation(self) -> None:
        self.this_invocation = []

    def label(self, service: str, operation: str, params: dict[str, Any]) -> str:
        if service == "dynamodb":
            table = self.table_ids.get(params.get("TableName", ""), "?")
            key = params.get("Key") or params.get("Item") or {}
            sk = key.get("sk", {}).get("S", "").split("#")[0]
            return f"{operation} {table} {sk}".rstrip()
        if service == "sns":
            return "Publish topic" if "TopicArn" in params else "Publish SMS"
        return operation

    def _before(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        if not self.armed:
            return
        service, operation = event_name.split(".")[1], event_name.rsplit(".", 1)[-1]
        label = self.label(service, operation, params)
        self.this_invocation.append(label)
        if (seen := self.this_invocation.count(label)) > 1:
            label = f"{label} {seen}"
        self.calls.append(label)
        fault = self.once.pop(label, None) or self.always.get(label)
        if fault is not None:
            raise fault(operation)


# -- an HTTP receiver that answers, fails, hangs or hangs up, as scripted ----------------------
@dataclass(frozen=True)
class Post:
    delivery_id: str
    status: int | None  # None: no answer
    signature_valid: bool


class Receiver:
    """A webhook endpoint on 127.0.0.1 (ephemeral port); ``script`` holds the next requests'
    behaviours ("fail": 503, "hang": no answer within the sender's timeout, "drop": close the
    connection unanswered); once it is empty, every request gets 204."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.posts: list[Post] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = verify(
                    LOCAL_WEBHOOK_SECRET.encode(),
                    self.headers.get(TIMESTAMP_HEADER, ""),
                    payload,
                    self.headers.get(SIGNATURE_HEADER, ""),
                    now=time.time(),
                )
                behaviour = receiver.script.pop(0) if receiver.script else "ok"
                status = {"ok": 204 if valid else 401, "fail": 503}.get(behaviour)
                receiver.posts.append(Post(self.headers.get(DELIVERY_HEADER, ""), status, valid))
                if behaviour == "hang":
                    time.sleep(HTTP_TIMEOUT * 2)
                if status is None:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/auth-notifications"

    def acknowledged(self, delivery_id: str) -> list[Post]:
        return [p for p in self.posts if p.delivery_id == delivery_id and p.status == 204 and p.signature_valid]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- one stack for the module: each scenario uses its own cardholder and event ------------------
def config_text(serial: int, webhook_url: str) -> str:
    return f"""
programs:
  - programId: {PROGRAM}
    programName: Fault Rewards
    pointsName: Fault Points
    currencyCode: USD
    filters: {{minPurchaseAmount: "5.00"}}
    baseConversion: {{tiers: [{{fromAmount: "0", costPerPoint: "0.01"}}]}}
    redemptionMinimumCash: "1.00"
    emails: {{successfulRedemption: true, insufficientBalance: true, belowProgramThreshold: true}}
clients:
  - clientId: {CLIENT}
    name: Fault Issuer
    programIds: [{PROGRAM}]
    webhook: {{url: "{webhook_url}", secretParameterName: {SECRET_PARAM}}}
users:
  - userId: holder{serial}
    accounts:
      - accountId: RANACNF{serial:07d}
        cardNumber: "55{serial:014d}"
        programId: {PROGRAM}
        openingBalance: 100000
        preferences:
          redemptionFrequency: MULT
          receiveEmailSw: true
          emailAddress: holder{serial}@example.com
          receiveSMSSw: true
          smsNumber: "+1555{serial:07d}"
"""


@dataclass
class World:
    stack: Stack
    injector: Injector
    receiver: Receiver
    stream_arn: str
    positions: dict[str, str | None]
    lost: LostAnswers


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    saved = dict(os.environ)
    with mock_aws():
        runtime.reset()
        stack = provision_stack()
        ses = stack.client("ses")
        provision.create_email_identities(ses, stack.resolver)
        provision.create_email_templates(ses, stack.resolver)
        register_webhook_secrets(stack.client("ssm"), [SECRET_PARAM])
        receiver = Receiver()
        stream_arn = ledger_stream_arn(stack.client("dynamodb"), stack.ledger_table)
        try:
            lost = LostAnswers().hook(runtime.aws_client("dynamodb"))
            yield World(stack, Injector(stack.tables), receiver, stream_arn, {}, lost)
        finally:
            receiver.close()
            runtime.reset()
            os.environ.clear()
            os.environ.update(saved)


@dataclass
class Scenario:
    """One committed authorization of a fresh cardholder: its outbox record and its channels."""

    world: World
    serial: int
    record: dict[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.record["dynamodb"]["NewImage"]["eventId"]["S"])

    @property
    def delivery_id(self) -> str:
        return f"{self.event_id}:{CLIENT}"

    def outcome(self) -> dict[str, Any]:
        """What was sent for this event, per channel."""
        stack = self.world.stack
        address, number = f"holder{self.serial}@example.com", f"+1555{self.serial:07d}"
        sent = ses_backends["123456789012"]["us-east-1"].sent_messages
        templates = [m.template for m in sent if address in m.destinations.get("ToAddresses", [])]
        events = [
            e["eventType"] for e in published_events(stack.topics["EventsTopic"]) if e["eventId"] == self.event_id
        ]
        return {
            "events": events,
            "emails": [t.rsplit("-", 1)[-1] for t in templates],
            "sms": len([n for n, _ in captured_sms() if n == number]),
            "webhooks": len(self.world.receiver.acknowledged(self.delivery_id)),
        }


def new_scenario(world: World) -> Scenario:
    serial = next(_serial)
    world.injector.armed = False
    load_config(world.stack, text=config_text(serial, world.receiver.url))
    account = f"RANACNF{serial:07d}"
    request = {**purchase(account, "20.00"), "externalId": f"NF{serial:08d}", "queueTransaction": "N"}
    authorizer = {"clientId": CLIENT, "programIds": PROGRAM, "role": "ISSUER"}
    response = invoke(
        "AuthorizationsFunction", http_event("POST", "/authorizations", body=request, authorizer=authorizer)
    )
    assert response["statusCode"] == 200 and body(response)[0]["responseReasonId"] == "60", response
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com"
    )
    records, world.positions = poll_stream_once(streams, world.stream_arn, world.positions)
    [record] = outbox_records(records)
    cold_container()
    return Scenario(world, serial, record)


def cold_container() -> None:
    """Forget the containers' caches so every scenario makes the same calls."""
    runtime.config_store()._programs.clear()
    runtime.notifier().directory._cached = None
    runtime.webhook_sender().secrets._cache.clear()
    runtime.webhook_sender().http.timeout = HTTP_TIMEOUT


# -- Lambda's redeliveries ---------------------------------------------------------------------
def notify_until_done(scenario: Scenario, attempts: int = STREAM_RETRIES + 1) -> int:
    """Stream semantics: a reported failure is retried (here: at once), at most ``attempts`` times;
    returns how many invocations failed."""
    failures = 0
    for _ in range(attempts):
        scenario.world.injector.new_invocation()
        answer = invoke("NotifierFunction", {"Records": [scenario.record]})
        if not answer["batchItemFailures"]:
            return failures
        assert answer["batchItemFailures"] == [{"itemIdentifier": scenario.record["dynamodb"]["SequenceNumber"]}]
        failures += 1
    return failures


def deliver_until_done(world: World, attempts: int = WEBHOOK_RECEIVES) -> int:
    """SQS semantics: receive, invoke the sender, delete on success; a failed message comes back
    (its back-off is skipped); returns how many invocations failed."""
    sqs = world.stack.client("sqs")
    queue = world.stack.queues["WebhookDeliveryQueue"]
    arn = world.stack.resolver.arn("WebhookDeliveryQueue")
    failures = 0
    for _ in range(attempts):
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
        [message] = messages.get("Messages", [])
        world.injector.new_invocation()
        answer = invoke("WebhookSenderFunction", sqs_event(message, arn))
        if not answer["batchItemFailures"]:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            return failures
        failures += 1
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return failures


def queued_deliveries(world: World) -> int:
    sqs = world.stack.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=world.stack.queues["WebhookDeliveryQueue"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


EXPECTED = {
    "events": ["pwr.authorization.processed"],
    "emails": ["SuccessfulRedemptionEmailTemplate"],
    "sms": 1,
    "webhooks": 1,
}

# What the notifier calls for one event, in order (test_the_matrix_names_every_call checks it).
NOTIFIER_CALLS = [
    "GetItem LedgerTable AUTH",  # the outbox item (the authorization) is committed
    "GetItem ConfigTable PROGRAM",
    "GetItem LedgerTable ACCOUNT",  # preferences
    "Scan ConfigTable",  # the clients with webhooks
    "PutItem NotificationsTable event",  # claim
    "Publish topic",
    "UpdateItem NotificationsTable event",  # SENT
    "PutItem NotificationsTable email",
    "SendTemplatedEmail",
    "UpdateItem NotificationsTable email",
    "PutItem NotificationsTable sms",
    "Publish SMS",
    "UpdateItem NotificationsTable sms",
    "PutItem NotificationsTable webhook",
    "GetItem LedgerTable AUTH 2",  # the webhook body: the authorization as stored now
    "SendMessage",
    "UpdateItem NotificationsTable webhook",
]
# A redelivered record finds every marker SENT: a refused claim, then a marker read, per channel.
REDELIVERY_CALLS = ["PutItem NotificationsTable event", "GetItem NotificationsTable event"]
SENDER_CALLS = ["PutItem NotificationsTable post", "GetParameter", "UpdateItem NotificationsTable post"]
CHANNELS = ["event", "email", "sms", "webhook"]
REDELIVERY_CALLS = [f"{op} NotificationsTable {marker}" for marker in CHANNELS for op in ("PutItem", "GetItem")]


def test_the_matrix_names_every_call_of_the_fault_free_run(world):
    scenario = new_scenario(world)
    world.injector.arm()
    assert notify_until_done(scenario) == 0
    assert world.injector.calls == NOTIFIER_CALLS
    world.injector.arm()
    assert notify_until_done(scenario) == 0  # a redelivery sends nothing
    assert world.injector.calls == ["GetItem LedgerTable AUTH", "GetItem LedgerTable ACCOUNT", *REDELIVERY_CALLS]
    world.injector.arm()
    assert deliver_until_done(world) == 0
    assert world.injector.calls == SENDER_CALLS
    assert scenario.outcome() == EXPECTED


@pytest.mark.parametrize("fault", FAULTS, ids=str)
@pytest.mark.parametrize("call", NOTIFIER_CALLS, ids=str)
def test_one_fault_at_a_notifier_call_ends_with_every_channel_sent_once(world, call, fault):
    scenario = new_scenario(world)
    world.injector.arm()
    world.injector.once[call] = FAULTS[fault]
    assert notify_until_done(scenario) == 1  # reported, then the redelivery completes it
    assert deliver_until_done(world) == 0
    assert scenario.outcome() == EXPECTED


@pytest.mark.parametrize("fault", FAULTS, ids=str)
@pytest.mark.parametrize("call", REDELIVERY_CALLS, ids=str)
def test_one_fault_while_a_redelivered_record_reads_its_markers_sends_nothing_twice(world, call, fault):
    scenario = new_scenario(world)
    assert notify_until_done(scenario) == 0
    world.injector.arm()
    world.injector.once[call] = FAULTS[fault]
    assert notify_until_done(scenario) == 1
    assert deliver_until_done(world) == 0
    assert scenario.outcome() == EXPECTED


@pytest.mark.parametrize("fault", FAULTS, ids=str)
@pytest.mark.parametrize("call", SENDER_CALLS, ids=str)
def test_one_fault_at_a_sender_call_ends_with_one_signed_delivery(world, call, fault):
    scenario = new_scenario(world)
    assert notify_until_done(scenario) == 0
    world.injector.arm()
    world.injector.once[call] = FAULTS[fault]
    assert deliver_until_done(world) == 1
    assert scenario.outcome() == EXPECTED
    assert queued_deliveries(world) == 0


@pytest.mark.parametrize("behaviour", ["fail", "hang", "drop"])
def test_a_failing_hanging_or_hanging_up_receiver_gets_the_delivery_on_the_retry(world, behaviour):
    scenario = new_scenario(world)
    assert notify_until_done(scenario) == 0
    world.receiver.script = [behaviour]
    started = time.monotonic()
    assert deliver_until_done(world) == 1
    assert time.monotonic() - started < HTTP_TIMEOUT * 5  # a hanging receiver costs one timeout, no more
    posts = [p for p in world.receiver.posts if p.delivery_id == scenario.delivery_id]
    assert len(posts) == 2 and all(p.signature_valid for p in posts)
    assert scenario.outcome() == EXPECTED


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_a_failed_back_off_still_reports_the_failure_and_the_retry_delivers(world, fault, caplog):
    scenario = new_scenario(world)
    assert notify_until_done(scenario) == 0
    world.receiver.script = ["fail"]
    world.injector.arm()
    world.injector.once["ChangeMessageVisibility"] = FAULTS[fault]
    assert deliver_until_done(world) == 1
    assert "ChangeMessageVisibility" in world.injector.calls
    assert [r.delivery_id for r in caplog.records if r.getMessage() == "back-off not set"] == [scenario.delivery_id]
    assert scenario.outcome() == EXPECTED


@pytest.mark.parametrize("call", NOTIFIER_CALLS, ids=str)
def test_a_notifier_fault_that_never_clears_fails_the_record_with_its_reason_and_sends_nothing_twice(
    world, call, caplog
):
    fault = list(FAULTS)[NOTIFIER_CALLS.index(call) % len(FAULTS)]
    scenario = new_scenario(world)
    world.injector.arm()
    world.injector.always[call] = FAULTS[fault]
    assert notify_until_done(scenario) == STREAM_RETRIES + 1  # then Lambda sends it to the on-failure queue
    if queued_deliveries(world):
        deliver_until_done(world, attempts=1)
    partial = scenario.outcome()
    assert all(len(v) <= 1 if isinstance(v, list) else v <= 1 for v in partial.values()), partial
    if not call.startswith("UpdateItem"):  # a SENT mark that keeps failing: sent once, record still failed
        assert partial != EXPECTED
    logged = [r for r in caplog.records if r.getMessage() == "event not notified; the record will be retried"]
    assert len(logged) == STREAM_RETRIES + 1
    assert {r.event_id for r in logged} == {scenario.event_id}  # type: ignore[attr-defined]
    assert all(r.reason for r in logged)  # type: ignore[attr-defined]

    world.injector.armed = False  # the fault clears; the record is re-driven from the on-failure queue
    assert notify_until_done(scenario) == 0
    if queued_deliveries(world):
        assert deliver_until_done(world) == 0
    assert scenario.outcome() == EXPECTED


@pytest.mark.parametrize("call", [*SENDER_CALLS, "HTTP POST"], ids=str)
def test_a_sender_fault_that_never_clears_ends_in_the_dead_letter_queue_unsent(world, call, caplog):
    scenario = new_scenario(world)
    assert notify_until_done(scenario) == 0
    world.injector.arm()
    if call == "HTTP POST":
        world.receiver.script = ["fail"] * WEBHOOK_RECEIVES
    else:
        world.injector.always[call] = throttled
    assert deliver_until_done(world) == WEBHOOK_RECEIVES  # the next receive dead-letters it
    failed = [r for r in caplog.records if r.getMessage() == "webhook delivery failed"]
    assert [r.delivery_id for r in failed] == [scenario.delivery_id] * WEBHOOK_RECEIVES  # type: ignore[attr-defined]
    assert all(r.reason for r in failed)  # type: ignore[attr-defined]
    acknowledged = 1 if call == "UpdateItem NotificationsTable post" else 0  # POSTed once, never re-POSTed
    assert scenario.outcome()["webhooks"] == acknowledged
    world.receiver.script = []
    world.injector.armed = False


@pytest.mark.parametrize("sends", [1, ALL_SENDS], ids=["sdk-retry", "every-answer"])
@pytest.mark.parametrize("write", range(8))
def test_a_lost_answer_at_a_notifier_marker_write_sends_each_channel_once(world, write, sends):
    """The claim (PutItem) and SENT mark (UpdateItem) of each of the four channels: applied, answer
    lost, re-sent by the SDK (or the record retried): every channel still goes out exactly once."""
    lost = world.lost
    scenario = new_scenario(world)
    lost.reset({write: sends})
    notify_until_done(scenario)
    assert lost.lost, lost.writes
    assert deliver_until_done(world) == 0
    assert scenario.outcome() == EXPECTED


@pytest.mark.parametrize("sends", [1, ALL_SENDS], ids=["sdk-retry", "every-answer"])
@pytest.mark.parametrize("write", range(2))
def test_a_lost_answer_at_a_sender_marker_write_posts_once(world, write, sends):
    lost = world.lost
    scenario = new_scenario(world)
    assert notify_until_done(scenario) == 0
    lost.reset({write: sends})
    deliver_until_done(world)
    assert lost.lost, lost.writes
    assert scenario.outcome() == EXPECTED
    assert queued_deliveries(world) == 0
