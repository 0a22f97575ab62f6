"""Event source mappings, locally: threads that feed queues and table streams to their functions.

SQS: poll, hand the function up to the template's BatchSize records, delete what succeeded,
and make each ``batchItemFailures`` record visible again at once (locally there is no point in
waiting out the visibility timeout); after the queue's maxReceiveCount, SQS (moto) moves it to the
dead-letter queue. DynamoDB streams: read each shard from the event's StartingPosition, keep the
records the event's FilterCriteria match, and retry a batch from its first reported failure.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from tools.local.functions import FunctionHost
from tools.local.streams import save_captured_emails, sent_email_count
from tools.samtemplate import ACCOUNT, REGION, Resolver, sqs_consumers, stream_consumers

log = logging.getLogger("tools.local.pollers")

SQS_MAX_RECEIVE = 10
# Short polls with a pause in between: moto runs every request under one lock (tools.moto_lock),
# and a long poll (WaitTimeSeconds) would hold it, stalling every function for that long.
IDLE_PAUSE_SECONDS = 0.1
STREAM_RETRIES = 3  # locally, a stream batch that keeps failing is logged and skipped


class Poller:
    """A daemon thread calling ``poll_once`` until stopped."""

    name = "poller"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("%s failed; retrying", self.name)
                self._stop.wait(1)

    def poll_once(self) -> None:
        raise NotImplementedError


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _visible_at(queue_url: str, messages: list[dict[str, Any]]) -> dict[str, float]:
    """When each message becomes visible again, read from moto's backend (in this process)."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[ACCOUNT][REGION].queues.get(queue_url.rsplit("/", 1)[-1])
    wanted = {m["MessageId"] for m in messages}
    return {m.id: float(m.visible_at) for m in list(queue._messages if queue else []) if m.id in wanted}


class SqsPoller(Poller):
    def __init__(
        self, host: FunctionHost, sqs: Any, function: str, queue_url: str, queue_arn: str, props: dict[str, Any]
    ) -> None:
        self.name = f"sqs:{function}"
        super().__init__()
        self.host, self.sqs, self.function = host, sqs, function
        self.queue_url, self.queue_arn = queue_url, queue_arn
        self.batch_size = int(props.get("BatchSize", 10))
        self.window = float(props.get("MaximumBatchingWindowInSeconds", 0))
        self.partial = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])

    def _receive(self, count: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(count, SQS_MAX_RECEIVE),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def poll_once(self) -> None:
        messages = self._receive(self.batch_size)
        if not messages:
            self._stop.wait(IDLE_PAUSE_SECONDS)
            return
        deadline = time.monotonic() + self.window
        while messages and len(messages) < self.batch_size and time.monotonic() < deadline:
            more = self._receive(self.batch_size - len(messages))
            if not more:
                break
            messages += more
        if messages:
            self.deliver(messages)

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [_sqs_record(m, self.queue_arn) for m in messages]}
        visible_at = _visible_at(self.queue_url, messages)
        try:
            result = self.host.invoke(self.function, event)
        except Exception:
            log.exception("%s raised: the whole batch returns to the queue", self.function)
            failed = {m["MessageId"] for m in messages}
        else:
            reported = (result or {}).get("batchItemFailures", []) if self.partial else []
            failed = {item["itemIdentifier"] for item in reported}
        done = [m for m in messages if m["MessageId"] not in failed]
        # A function that set its own back-off (the webhook sender) keeps it; the others retry at once.
        visible_now = _visible_at(self.queue_url, messages)
        backed_off = {i for i, at in visible_now.items() if at != visible_at.get(i)}
        retry = [m for m in messages if m["MessageId"] in failed - backed_off]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if retry:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(retry)
                ],
            )


# ---------------------------------------------------------------------------------- streams
def matches(pattern: Any, value: Any) -> bool:
    """EventBridge-style pattern matching, the subset Lambda filter criteria use most."""
    if isinstance(pattern, dict):
        if value is None:
            value = {}  # a missing object: its fields are missing too (only "exists": false matches)
        if not isinstance(value, dict):
            return False
        return all(matches(sub, value.get(key)) for key, sub in pattern.items())
    if isinstance(pattern, list):
        return any(_matches_one(rule, value) for rule in pattern)
    return bool(pattern == value)


def _matches_one(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return bool(rule == value)
    if "exists" in rule:
        return (value is not None) == bool(rule["exists"])
    if value is None:
        return False
    if "prefix" in rule:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if "suffix" in rule:
        return isinstance(value, str) and value.endswith(rule["suffix"])
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        return value not in (excluded if isinstance(excluded, list) else [excluded])
    if "equals-ignore-case" in rule:
        return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
    raise ValueError(f"unsupported filter rule {rule}")


def _filters(props: dict[str, Any]) -> list[Any]:
    return [json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]


class StreamPoller(Poller):
    """One DynamoDB stream event source: batches of matching records, in order, shard by shard.

    Each shard's position is the last sequence number read, and every poll asks for a fresh
    iterator after it: moto replaces a table's stream shard when it rolls back a cancelled
    transaction, and an iterator kept across polls would keep reading the abandoned shard."""

    def __init__(self, host: FunctionHost, streams: Any, function: str, stream_arn: str, props: dict[str, Any]) -> None:
        self.name = f"stream:{function}"
        super().__init__()
        self.host, self.streams, self.function, self.stream_arn = host, streams, function, stream_arn
        self.batch_size = int(props.get("BatchSize", 100))
        self.start_at = str(props.get("StartingPosition", "LATEST"))
        self.filters = _filters(props)
        self.partial = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        self.positions: dict[str, str | None] = {}  # shard id -> last sequence number read (None: none yet)
        self._started = False

    def _shards(self) -> list[str]:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        return [shard["ShardId"] for shard in shards]

    def _read(self, shard_id: str, limit: int) -> list[dict[str, Any]]:
        last = self.positions.get(shard_id)
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **where)
        records = self.streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=limit)
        return list(records.get("Records", []))

    def _skip_to_latest(self, shard_id: str) -> None:
        """LATEST: start after what the shard already holds when the poller starts."""
        while records := self._read(shard_id, 1000):
            self.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]

    def poll_once(self) -> None:
        delivered = False
        for shard_id in self._shards():
            if shard_id not in self.positions:
                self.positions[shard_id] = None
                if self.start_at == "LATEST" and not self._started:
                    self._skip_to_latest(shard_id)  # shards that appear later are read from their start
                    continue
            records = self._read(shard_id, self.batch_size)
            if not records:
                continue
            wanted = [r for r in records if self._wanted(r)]
            if wanted:
                self.deliver(wanted)
                delivered = True
            self.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        self._started = True
        if not delivered:
            self._stop.wait(IDLE_PAUSE_SECONDS * 5)

    def _wanted(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(matches(pattern, record) for pattern in self.filters)

    def deliver(self, records: list[dict[str, Any]]) -> None:
        """Invoke with the batch; on reported failures retry from the first one, then skip it."""
        pending = [{**r, "eventSourceARN": self.stream_arn} for r in records]
        for _attempt in range(STREAM_RETRIES + 1):
            try:
                result = self.host.invoke(self.function, {"Records": pending})
            except Exception:
                log.exception("%s raised: retrying the batch", self.function)
                continue
            failures = (result or {}).get("batchItemFailures", []) if self.partial else []
            if not failures:
                return
            first = min(int(f["itemIdentifier"]) for f in failures)
            pending = [r for r in pending if int(r["dynamodb"]["SequenceNumber"]) >= first]
        sequences = [r["dynamodb"]["SequenceNumber"] for r in pending]
        log.error("%s: skipping stream records %s after %d retries", self.function, sequences, STREAM_RETRIES)


class EmailFolder(Poller):
    """Keeps the emails moto's SES accepted as HTML files (and ``index.html``) in ``folder``."""

    name = "emails"

    def __init__(self, folder: Path, interval: float = 0.5) -> None:
        super().__init__()
        self.folder, self.interval = folder, interval
        self.saved = -1  # how many emails the folder holds

    def refresh(self) -> None:
        count = sent_email_count()
        if count != self.saved:
            save_captured_emails(self.folder)
            self.saved = count

    def poll_once(self) -> None:
        self.refresh()
        self._stop.wait(self.interval)

    def clear(self) -> None:
        """Remove the files of a previous run (moto starts empty): only the HTML this class writes."""
        for old in self.folder.glob("*.html"):
            old.unlink()


def start_pollers(host: FunctionHost, resolver: Resolver, clients: dict[str, Any]) -> list[Poller]:
    """One poller per SQS and DynamoDB-stream event of the template, already running."""
    pollers: list[Poller] = []
    for function, queue_id, props in sqs_consumers():
        url = resolver.queue_url(queue_id)
        pollers.append(SqsPoller(host, clients["sqs"], function, url, resolver.arn(queue_id), props))
    for function, table_id, props in stream_consumers():
        table = clients["dynamodb"].describe_table(TableName=resolver.physical_name(table_id))["Table"]
        pollers.append(StreamPoller(host, clients["dynamodbstreams"], function, table["LatestStreamArn"], props))
    for poller in pollers:
        poller.start()
    return pollers
