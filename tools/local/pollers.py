"""Event source mappings, locally: threads that feed queues and table streams to their functions.

SQS: several pollers per queue (Lambda starts with five concurrent batches; the template's
``ScalingConfig.MaximumConcurrency`` caps them), each handing the function up to the template's
BatchSize records, deleting what succeeded, and making each ``batchItemFailures`` record visible
again at once (locally there is no point in waiting out the visibility timeout) unless the function
set its own back-off; after the queue's maxReceiveCount, SQS (moto) moves it to the dead-letter
queue. DynamoDB streams: one reader per stream, each shard from the event's StartingPosition, keeping
the records the event's FilterCriteria match, and retrying a batch from its first reported failure.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from tools.local.functions import FunctionHost
from tools.local.motoview import MotoView
from tools.local.streams import write_email_folder
from tools.samtemplate import REGION, Resolver, sqs_consumers, stream_consumers

log = logging.getLogger("tools.local.pollers")

SQS_MAX_RECEIVE = 10
SQS_CONCURRENCY = 5  # concurrent batches per queue: where Lambda's SQS event source starts
# Short polls with a pause in between: moto runs every request under one lock (tools.moto_lock),
# and a long poll (WaitTimeSeconds) would hold it, stalling every function for that long.
IDLE_PAUSE_SECONDS = 0.1
STREAM_RETRIES = 3  # locally, a stream batch that keeps failing is logged and skipped
VISIBILITY_SLACK_SECONDS = 0.005  # moto keeps visibility in float milliseconds
TRACE_VARIABLE = "LOCAL_SQS_TRACE"  # a file: one JSON line per SQS batch delivered (bench.soak --trace)
_trace_lock = threading.Lock()


def trace_delivery(**fields: Any) -> None:
    """Appends one JSON line to the file LOCAL_SQS_TRACE names, if it names one."""
    path = os.environ.get(TRACE_VARIABLE)
    if not path:
        return
    line = json.dumps({"at": round(time.time(), 3), "thread": threading.current_thread().name, **fields})
    with _trace_lock, open(path, "a") as trace:
        trace.write(line + "\n")


class Poller:
    """``workers`` daemon threads calling ``poll_once(worker)`` until stopped."""

    name = "poller"

    def __init__(self, workers: int = 1) -> None:
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(worker,), name=f"{self.name}#{worker}", daemon=True)
            for worker in range(workers)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self, worker: int) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(worker)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("%s failed; retrying", self.name)
                self._stop.wait(1)

    def poll_once(self, worker: int = 0) -> None:
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


def _external_id(message: dict[str, Any]) -> str | None:
    """The body's externalId (already masked by the sender), to follow a message in a trace."""
    try:
        body = json.loads(message["Body"])
    except ValueError:
        return None
    return body.get("externalId") if isinstance(body, dict) else None


def sqs_concurrency(props: dict[str, Any], wanted: int = SQS_CONCURRENCY) -> int:
    """Concurrent batches for an SQS event: ``wanted``, capped by its ScalingConfig.MaximumConcurrency."""
    cap = (props.get("ScalingConfig") or {}).get("MaximumConcurrency")
    return max(1, min(wanted, int(cap))) if cap else max(1, wanted)


class SqsPoller(Poller):
    """One SQS event source: ``concurrency`` workers, each receiving and delivering its own batches.

    The first worker polls all the time; the others join while the queue has a backlog (a worker
    received a full batch) and rest when a receive comes back empty, as Lambda scales its pollers.

    Each receive states the visibility timeout (the queue's), so the poller knows when a message
    would become visible again if nobody touched it: a failed message whose visibility moved (the
    webhook sender's back-off) is left alone; the others are made visible at once."""

    def __init__(
        self,
        host: FunctionHost,
        sqs: Any,
        function: str,
        queue_url: str,
        queue_arn: str,
        props: dict[str, Any],
        concurrency: int = 1,
    ) -> None:
        self.name = f"sqs:{function}"
        super().__init__(concurrency)
        self.host, self.sqs, self.function = host, sqs, function
        self.queue_url, self.queue_arn = queue_url, queue_arn
        self.view = MotoView(sqs.meta.endpoint_url)
        self.batch_size = int(props.get("BatchSize", 10))
        self.window = float(props.get("MaximumBatchingWindowInSeconds", 0))
        self.partial = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])
        self.visibility_timeout = int(attributes["Attributes"]["VisibilityTimeout"])
        self._backlog = threading.Event()
        # message id -> (earliest, latest) time it becomes visible again if nobody changes it
        self._untouched: dict[str, tuple[float, float]] = {}

    def stop(self) -> None:
        self._stop.set()
        self._backlog.set()  # wakes the resting workers
        super().stop()

    def _receive(self, count: int) -> list[dict[str, Any]]:
        before = time.time()
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(count, SQS_MAX_RECEIVE),
            WaitTimeSeconds=0,
            VisibilityTimeout=self.visibility_timeout,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        after = time.time()
        messages = list(response.get("Messages", []))
        for message in messages:
            self._untouched[message["MessageId"]] = (before + self.visibility_timeout, after + self.visibility_timeout)
        return messages

    def poll_once(self, worker: int = 0) -> None:
        messages = self._receive(self.batch_size)
        if not messages:
            self._backlog.clear()
            if worker == 0:
                self._stop.wait(IDLE_PAUSE_SECONDS)
            else:
                self._backlog.wait(1)
            return
        deadline = time.monotonic() + self.window
        while len(messages) < self.batch_size and time.monotonic() < deadline:
            more = self._receive(self.batch_size - len(messages))
            if not more:
                break
            messages += more
        if len(messages) == self.batch_size:
            self._backlog.set()
        self.deliver(messages)

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [_sqs_record(m, self.queue_arn) for m in messages]}
        untouched = {m["MessageId"]: self._untouched.pop(m["MessageId"], (0.0, 0.0)) for m in messages}
        try:
            result = self.host.invoke(self.function, event)
        except Exception:
            log.exception("%s raised: the whole batch returns to the queue", self.function)
            failed = {m["MessageId"] for m in messages}
        else:
            reported = (result or {}).get("batchItemFailures", []) if self.partial else []
            failed = {item["itemIdentifier"] for item in reported}
        done = [m for m in messages if m["MessageId"] not in failed]
        not_deleted: list[str] = []
        if done:
            answer = self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
            not_deleted = [done[int(entry["Id"])]["MessageId"] for entry in answer.get("Failed", [])]
            if not_deleted:  # they come back after the visibility timeout and replay their first result
                log.warning(
                    "%s: %d processed messages not deleted: %s", self.function, len(not_deleted), answer["Failed"]
                )
        trace_delivery(
            queue=self.queue_arn.rsplit(":", 1)[-1],
            messages=[
                (m["MessageId"], m["Attributes"].get("ApproximateReceiveCount"), _external_id(m)) for m in messages
            ],
            failed=sorted(failed),
            not_deleted=not_deleted,
        )
        if failed:
            self._retry_at_once([m for m in messages if m["MessageId"] in failed], untouched)

    def _retry_at_once(self, failed: list[dict[str, Any]], untouched: dict[str, tuple[float, float]]) -> None:
        """Failed messages become visible now, except those whose visibility the function changed."""
        visible_at = self.view.visible_at(self.queue_url, [m["MessageId"] for m in failed])

        def unchanged(message_id: str) -> bool:
            earliest, latest = untouched[message_id]
            at = visible_at.get(message_id)
            return at is not None and earliest - VISIBILITY_SLACK_SECONDS <= at <= latest + VISIBILITY_SLACK_SECONDS

        retry = [m for m in failed if unchanged(m["MessageId"])]
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

    def poll_once(self, worker: int = 0) -> None:
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

    def __init__(self, folder: Path, view: MotoView, interval: float = 0.5) -> None:
        super().__init__()
        self.folder, self.view, self.interval = folder, view, interval
        self.saved = -1  # how many emails the folder holds

    def refresh(self) -> None:
        count = self.view.email_count()
        if count != self.saved:
            write_email_folder(self.folder, self.view.emails())
            self.saved = count

    def poll_once(self, worker: int = 0) -> None:
        self.refresh()
        self._stop.wait(self.interval)

    def clear(self) -> None:
        """Remove the files of a previous run (moto starts empty): only the HTML this class writes."""
        for old in self.folder.glob("*.html"):
            old.unlink()


class SettlementFolder(Poller):
    """The settlement bucket, where a person can reach it: every ``schedule`` seconds (if set) the
    settlement function's scheduled run (yesterday's file, once); every settlement file and manifest copied
    into ``folder``; every acknowledgement file dropped into ``folder/acks/`` uploaded under acks/
    and handed to the acknowledgement function as S3's event, its report copied to ``folder/reports/``."""

    name = "settlement"

    def __init__(
        self, host: FunctionHost, s3: Any, bucket: str, folder: Path, schedule: float | None, interval: float = 1.0
    ) -> None:
        super().__init__()
        self.host, self.s3, self.bucket, self.folder = host, s3, bucket, folder
        self.schedule, self.interval = schedule, interval
        self.last_run = 0.0
        self.applied: dict[str, float] = {}  # acknowledgement file -> the mtime applied

    def poll_once(self, worker: int = 0) -> None:
        if self.schedule is not None and time.monotonic() - self.last_run >= self.schedule:
            self.last_run = time.monotonic()
            self.host.invoke("SettlementFunction", {"task": "settle"})
        self.copy_files()
        self.apply_acknowledgements()
        self._stop.wait(self.interval)

    def copy_files(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for prefix, where in (("settlement/", self.folder), ("reports/", self.folder / "reports")):
            listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
            for entry in listing.get("Contents", []):
                target = where / entry["Key"].rsplit("/", 1)[1]
                if target.exists() and target.stat().st_size == entry["Size"]:
                    continue
                where.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.s3.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read())

    def apply_acknowledgements(self) -> None:
        acks = self.folder / "acks"
        acks.mkdir(parents=True, exist_ok=True)
        for path in sorted(acks.glob("*.csv")):
            changed = path.stat().st_mtime
            if self.applied.get(path.name) == changed:
                continue
            key = f"acks/{path.name}"
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=path.read_bytes())
            record: dict[str, Any] = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}
            record["s3"] = {"bucket": {"name": self.bucket}, "object": {"key": key, "size": path.stat().st_size}}
            self.host.invoke("RebateAcksFunction", {"Records": [record]})
            self.applied[path.name] = changed
            log.info("acknowledgement %s applied; report in %s", path.name, self.folder / "reports")


def start_pollers(
    host: FunctionHost, resolver: Resolver, clients: dict[str, Any], sqs_workers: int = SQS_CONCURRENCY
) -> list[Poller]:
    """One poller per SQS and DynamoDB-stream event of the template, already running; each SQS
    poller runs ``sqs_workers`` concurrent batches (capped by the event's MaximumConcurrency)."""
    pollers: list[Poller] = []
    for function, queue_id, props in sqs_consumers():
        url, arn = resolver.queue_url(queue_id), resolver.arn(queue_id)
        workers = sqs_concurrency(props, sqs_workers)
        pollers.append(SqsPoller(host, clients["sqs"], function, url, arn, props, concurrency=workers))
    for function, table_id, props in stream_consumers():
        table = clients["dynamodb"].describe_table(TableName=resolver.physical_name(table_id))["Table"]
        pollers.append(StreamPoller(host, clients["dynamodbstreams"], function, table["LatestStreamArn"], props))
    for poller in pollers:
        poller.start()
    return pollers
