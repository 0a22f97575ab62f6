"""S3 consumer: an issuer's acknowledgement file under ``acks/`` marks each rebate POSTED or
REJECTED (a rejected one gives its points back), line by line; the report of what became of each
line is written under ``reports/`` (docs/settlement.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from rewards import runtime, snapstart
from rewards.observability import logger, metrics
from rewards.settings import SettlementSettings, settings
from rewards.settlement.service import report_text

SETTINGS = SettlementSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.settlement_service)  # SnapStart: built before the snapshot
ACKS_PREFIX, REPORTS_PREFIX = "acks/", "reports/"


def report_key(ack_key: str) -> str:
    return REPORTS_PREFIX + ack_key.removeprefix(ACKS_PREFIX) + ".report.csv"


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings(SETTINGS)
    service = runtime.settlement_service()
    reports = []
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])
        if not key.startswith(ACKS_PREFIX):
            continue
        outcomes = service.acknowledge(key)
        assert service.bucket is not None
        service.bucket.write_text(report_key(key), report_text(outcomes))
        counts = {
            result: sum(o.result == result for o in outcomes) for result in ("APPLIED", "ALREADY_APPLIED", "REFUSED")
        }
        logger.info("acknowledgement applied", extra={"key": key, **counts})
        metrics.add_metric(name="AcknowledgementLinesRefused", unit="Count", value=counts["REFUSED"])
        reports.append({"key": key, "report": report_key(key), **counts})
    return {"reports": reports}
