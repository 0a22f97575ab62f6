"""POST /authorizations/{id}/reprocess: post-purchase redemption of an eligible authorization."""

from __future__ import annotations

from typing import Annotated

from rewards import runtime, snapstart
from rewards.http import PWR_SOURCE, answers, build_router, current_caller, lambda_entry
from rewards.models.pwr import ReprocessRequest, ReprocessResponse
from rewards.observability import metrics
from rewards.router import Path
from rewards.services import reprocess as _reprocess  # noqa: F401 - the use case loads at init, not on the first request
from rewards.services.metrics import record_outcome
from rewards.settings import CardholderSettings

app = build_router(PWR_SOURCE)
SETTINGS = CardholderSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.reprocess_service)  # SnapStart: built before the snapshot


@app.post(
    "/authorizations/<id>/reprocess",
    tags=["Pay with Rewards"],
    summary="Redeem an eligible purchase after the fact",
    description=(
        "The id is the authorization's id from POST or GET /authorizations. Redeems regardless of the OFF "
        "preference, at most once; reprocessCode 60 means redeemed."
    ),
    openapi_extensions=answers(422, 503),
)
def reprocess(id: Annotated[str, Path(min_length=1, max_length=10)], request: ReprocessRequest) -> ReprocessResponse:
    updated = runtime.reprocess_service().reprocess(current_caller(app), id, request.accountId, request.processedBy)
    record_outcome(metrics, updated)
    return ReprocessResponse(reprocessCode=updated.responseReasonId, reprocessId=updated.reprocessId or "")


lambda_handler = lambda_entry(app, SETTINGS)
