"""Scheduled settlement and reconciliation (docs/settlement.md).

``{"task": "settle"}`` (the hourly schedule): each ISSUER client's last closed business day, unless
its file is written. ``{"task": "settle", "clientId": ..., "businessDate": "YYYY-MM-DD"}``: that
day (a rerun writes the identical file). ``{"task": "reconcile"}`` (the daily schedule): the
read-only reconciliation; publishes the RebateMismatches metric the template's alarm watches.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from rewards import runtime, snapstart
from rewards.domain import ClientRole
from rewards.observability import logger, metrics
from rewards.settings import SettlementSettings, settings
from rewards.settlement.reconciliation import reconcile, summary

SETTINGS = SettlementSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.settlement_service)  # SnapStart: built before the snapshot


class SettlementTask(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    task: Literal["settle", "reconcile"] = "settle"
    clientId: str | None = None
    businessDate: date | None = None


def issuers() -> list[str]:
    return sorted(c.clientId for c in runtime.client_directory().clients() if c.role is ClientRole.ISSUER and c.active)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings(SETTINGS)
    task = SettlementTask.model_validate(event)
    service = runtime.settlement_service()
    if task.task == "reconcile":
        result = reconcile(service, datetime.now().astimezone(), task.clientId)
        summary(result, logger.info)
        metrics.add_metric(name="RebateMismatches", unit="Count", value=len(result.mismatches))
        metrics.add_metric(name="RebatesOverdue", unit="Count", value=len(result.overdue))
        return {"mismatches": result.mismatches, "overdue": [r.reference for r in result.overdue]}
    if task.clientId and task.businessDate:
        results = [service.settle(task.clientId, task.businessDate)]
    else:
        results = service.settle_closed([task.clientId] if task.clientId else issuers())
    files = [
        {"fileId": r.file.file_id, "lines": r.file.lines, "object": r.file.object_key, "rerun": r.rerun}
        for r in results
    ]
    logger.info("settlement files", extra={"files": files})
    metrics.add_metric(name="SettlementFilesWritten", unit="Count", value=sum(not r.rerun for r in results))
    return {"files": files}
