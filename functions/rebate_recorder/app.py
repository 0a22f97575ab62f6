"""Ledger-table stream consumer: each committed outcome that owes cash (a redeemed authorization, a
CASHBACK redemption) becomes its rebate instructions, each recorded once (docs/settlement.md).

The event source mapping passes only INSERTs of outbox items of those two event types; a record
that could not be recorded fails alone and is retried, then goes to the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from rewards import runtime, snapstart
from rewards.adapters.dynamo import from_item
from rewards.observability import logger, metrics
from rewards.partial_batch import (
    PartialBatchResponse,
    Record,
    inserted_image,
    process_partial,
    stream_sequence_number,
)
from rewards.settings import RebateSettings, settings

SETTINGS = RebateSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.rebate_service)  # SnapStart: built before the snapshot


def record_handler(record: Record) -> None:
    image = inserted_image(record)
    if image is None:
        return
    found = runtime.ledger().committed_event(from_item(image))
    if found is None:
        return
    event, _ = found
    recorded = runtime.rebate_service().record(event)
    if recorded:
        logger.info(
            "rebates recorded", extra={"event_id": event.eventId, "references": [r.reference for r in recorded]}
        )
        metrics.add_metric(name="RebatesRecorded", unit="Count", value=len(recorded))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> PartialBatchResponse:
    settings(SETTINGS)
    return process_partial(event.get("Records", []), record_handler, stream_sequence_number)
