"""Business metrics: one per outcome code, plus points and cash redeemed (cash in minor units)."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from rewards.models.pwr import Authorization
from rewards.money import to_cents
from rewards.rules.reasons import ReasonCode


def record_outcome(metrics: Metrics, authorization: Authorization) -> None:
    metrics.add_metric(name=f"AuthorizationOutcome{authorization.responseReasonId}", unit=MetricUnit.Count, value=1)
    if authorization.responseReasonId == ReasonCode.REDEEMED.value:
        metrics.add_metric(name="PointsRedeemed", unit=MetricUnit.Count, value=int(authorization.pointsRedeemed))
        metrics.add_metric(
            name="CashRedeemedMinorUnits", unit=MetricUnit.Count, value=to_cents(authorization.cashBackAmount)
        )
