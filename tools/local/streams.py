"""Local notification plumbing: stream records for the notifier, and what moto "sent".

* ``stream_event(items)``: a DynamoDB stream event (INSERT, NEW_IMAGE) for outbox items, exactly
  what the notifier receives; fast, no stream read.
* ``poll_stream_once(streams, stream_arn, positions)``: every record written since the last call,
  read from the table's real (moto) stream; ``positions`` carries each shard's last sequence number.
* ``captured_emails()``, ``captured_sms()`` and ``published_events(topic_arn)``: the emails SES
  accepted (rendered with their templates), SMS texts and topic messages, read from moto's
  backends in this process (``mock_aws``, or the local stack's moto process, which serves them to
  the others over HTTP: ``tools.local.motoview``).
* ``write_email_folder(folder, emails)``: those emails as HTML files (plus ``index.html``) a person
  can open; the local stack keeps ``.local/emails/`` up to date with them
  (``tools.local.pollers.EmailFolder``).

The continuous poller (filters, retries) is ``tools.local.pollers.StreamPoller``.
"""

from __future__ import annotations

import email
import email.message
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from tools.samtemplate import ACCOUNT, REGION

_serializer = TypeSerializer()


def stream_record(item: dict[str, Any], sequence: int, event_name: str = "INSERT") -> dict[str, Any]:
    image = {name: _serializer.serialize(value) for name, value in item.items() if value is not None}
    return {
        "eventID": f"local-{sequence}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": str(sequence),
            "SizeBytes": len(json.dumps(image)),
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/local/stream/local",
    }


def stream_event(items: list[dict[str, Any]], first_sequence: int = 100) -> dict[str, Any]:
    return {"Records": [stream_record(item, first_sequence + index) for index, item in enumerate(items)]}


def ledger_stream_arn(dynamodb: Any, table_name: str) -> str:
    return str(dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"])


def poll_stream_once(
    streams: Any, stream_arn: str, positions: dict[str, str | None] | None = None, start: str = "TRIM_HORIZON"
) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
    """(records of every shard written since ``positions``, the positions for the next call).

    A position is the last sequence number read, and every call asks for a fresh iterator after it:
    moto replaces a table's stream shard object when it rolls back a cancelled transaction, so a
    long-lived iterator would keep reading the abandoned shard (with the cancelled writes on it)."""
    positions = dict(positions or {})
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    records: list[dict[str, Any]] = []
    for shard in shards:
        shard_id = shard["ShardId"]
        skip = start == "LATEST" and shard_id not in positions  # LATEST: what the shard holds now is old
        last = positions.get(shard_id)
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **where)["ShardIterator"]
        found = streams.get_records(ShardIterator=iterator, Limit=1000).get("Records", [])
        if not skip:
            records.extend({**r, "eventSourceARN": stream_arn} for r in found)
        positions[shard_id] = found[-1]["dynamodb"]["SequenceNumber"] if found else last
    return records, positions


def outbox_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records the notifier's event source mapping passes (its FilterCriteria in template.yaml)."""
    from tools.local.pollers import matches
    from tools.samtemplate import resources

    mapping = resources()["NotifierFunction"]["Properties"]["Events"]["LedgerStream"]["Properties"]
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    return [r for r in records if any(matches(pattern, r) for pattern in patterns)]


# ------------------------------------------------------------------------------- what moto sent
@dataclass(frozen=True)
class CapturedEmail:
    message_id: str
    source: str
    to: list[str]
    template: str
    data: dict[str, Any]
    subject: str
    text: str
    html: str


def _ses_backend(account: str, region: str) -> Any:
    from moto.ses.models import ses_backends

    return ses_backends[account][region]


def _payload(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else ""


def sent_email_count(account: str = ACCOUNT, region: str = REGION) -> int:
    """How many emails SES accepted (cheap: nothing is rendered)."""
    return len(_ses_backend(account, region).sent_messages)


def captured_emails(account: str = ACCOUNT, region: str = REGION) -> list[CapturedEmail]:
    """Templated emails SES accepted, rendered with the template they name."""
    backend = _ses_backend(account, region)
    found = []
    for message in backend.sent_messages:
        template = getattr(message, "template", None)
        if template is None:
            continue
        raw = backend.render_template({"name": template, "data": message.template_data})
        parsed = email.message_from_string(raw)
        parts = {part.get_content_type(): _payload(part) for part in parsed.walk()}
        to = list(message.destinations.get("ToAddresses", []))
        found.append(
            CapturedEmail(
                message_id=message.id,
                source=message.source,
                to=to,
                template=template,
                data=json.loads(message.template_data),
                subject=str(parsed["Subject"] or ""),
                text=parts.get("text/plain", ""),
                html=parts.get("text/html", ""),
            )
        )
    return found


def write_email_folder(folder: Path, emails: list[CapturedEmail]) -> list[Path]:
    """One HTML file per email and an ``index.html`` listing them; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written, rows = [], []
    for number, captured in enumerate(emails, start=1):
        name = f"{number:04d}-{captured.data.get('kind', 'email')}.html"
        header = (
            f"<p style='font:12px monospace;color:#555'>From: {html.escape(captured.source)}<br>"
            f"To: {html.escape(', '.join(captured.to))}<br>Subject: {html.escape(captured.subject)}<br>"
            f"Template: {html.escape(captured.template)}</p><hr>"
        )
        path = folder / name
        path.write_text(header + captured.html)
        written.append(path)
        rows.append(
            f"<li><a href='{name}'>{html.escape(captured.subject)}</a> to {html.escape(', '.join(captured.to))}</li>"
        )
    (folder / "index.html").write_text(f"<h1>Captured emails ({len(rows)})</h1><ul>{''.join(rows)}</ul>")
    return written


def captured_sms(account: str = ACCOUNT, region: str = REGION) -> list[tuple[str, str]]:
    """(phone number, text) of every SMS published."""
    from moto.sns.models import sns_backends

    return list(sns_backends[account][region].sms_messages.values())


def published_events(topic_arn: str, account: str = ACCOUNT, region: str = REGION) -> list[dict[str, Any]]:
    """The JSON messages published to a topic, oldest first."""
    from moto.sns.models import sns_backends

    topic = sns_backends[account][region].topics[topic_arn]
    return [json.loads(entry[1]) for entry in topic.sent_notifications]
