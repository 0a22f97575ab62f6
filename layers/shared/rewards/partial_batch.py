"""Partial batch responses for the queue and stream consumers: each record is handled alone, and one
that raises is logged with its reason and reported in ``batchItemFailures`` so that only it is
retried (``ReportBatchItemFailures`` in template.yaml).

The contract of Powertools' ``BatchProcessor`` with ``raise_on_entire_batch_failure=False`` (an SQS
record is identified by its ``messageId``, a stream record by its ``SequenceNumber``; a batch whose
every record failed reports them all), without its import of every event source's data class and
parser model at cold start (docs/performance.md, "Cold start").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict

from rewards.observability import logger

Record = Mapping[str, Any]


class ItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[ItemFailure]


def sqs_message_id(record: Record) -> str:
    return str(record["messageId"])


def stream_sequence_number(record: Record) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def process_partial(
    records: Iterable[Record], handle: Callable[[Record], None], identify: Callable[[Record], str]
) -> PartialBatchResponse:
    """``handle`` every record; those that raised, by ``identify``, for the event source to retry."""
    failures: list[ItemFailure] = []
    for record in records:
        try:
            handle(record)
        except Exception:
            logger.warning("Record processing exception; skipping this record", exc_info=True)
            failures.append({"itemIdentifier": identify(record)})
    return {"batchItemFailures": failures}


def inserted_image(record: Record) -> Record | None:
    """The new image of a stream record that inserted an item (None for anything else)."""
    image = (record.get("dynamodb") or {}).get("NewImage")
    return image if record.get("eventName") == "INSERT" and image is not None else None
