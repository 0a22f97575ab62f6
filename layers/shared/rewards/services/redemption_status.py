"""Update Redemption Status: the fulfilment partner records where a redemption line's order is
(rules/fulfilment.py). Sending the same report again answers it again and changes nothing."""

from __future__ import annotations

from dataclasses import replace

from rewards.domain import Caller
from rewards.errors import InvalidField, not_committed
from rewards.ledger import RecordChanged
from rewards.models.dr import RedemptionStatusResponse, UpdateRedemptionStatusRequest
from rewards.records import FulfilmentReport, RedemptionLine
from rewards.rules.fulfilment import FulfilmentStatus, check_report, check_transition, is_unchanged
from rewards.services.redemption_credits import RedemptionCredits
from rewards.services.use_case import MAX_REBUILDS
from rewards.timestamps import iso


def status_view(line: RedemptionLine) -> RedemptionStatusResponse:
    report = line.fulfilment
    assert report is not None
    return RedemptionStatusResponse(
        redemptionId=line.redemption_id,
        statusCode=report.status,
        backOrderDate=report.back_order_date,
        statusUpdatedAt=report.reported_at,
    )


class RedemptionStatusReports(RedemptionCredits):
    def update_status(
        self, caller: Caller, redemption_id: int, request: UpdateRedemptionStatusRequest
    ) -> RedemptionStatusResponse:
        if request.redemptionId is not None and request.redemptionId != redemption_id:
            raise InvalidField("redemptionId", "redemptionId must be the id in the path")
        status = FulfilmentStatus(request.statusCode)
        check_report(status, request.backOrderDate)
        wanted_date = request.backOrderDate.isoformat() if request.backOrderDate else None
        for rebuild in range(MAX_REBUILDS):
            line = self._creditable_line(caller, redemption_id)  # the same reach as a credit
            current = line.fulfilment
            current_status = FulfilmentStatus(current.status) if current else None
            current_date = current.back_order_date if current else None
            if is_unchanged(current_status, current_date, status, wanted_date):
                return status_view(line)
            check_transition(current_status, status)
            report = FulfilmentReport(status.value, wanted_date, iso(self.clock()))
            try:
                self.ledger.report_fulfilment(line, report)
            except RecordChanged:  # another report landed first: decide again on it
                self.spread(rebuild)
                continue
            return status_view(replace(line, fulfilment=report))
        raise not_committed()
