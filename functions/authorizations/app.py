"""POST /authorizations (Post Auth) and GET /authorizations (history with PWR outcomes)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from rewards import runtime, snapstart
from rewards.http import PWR_SOURCE, answers, build_router, current_caller, lambda_entry
from rewards.models.pwr import Authorization, AuthorizationPostResponse, AuthorizationRequest
from rewards.observability import logger, metrics
from rewards.router import Query, Response
from rewards.services.authorizations import NEXT_TOKEN_HEADER, QUEUED_MESSAGE, parse_categories
from rewards.services.metrics import record_outcome
from rewards.settings import AuthorizationsSettings

app = build_router(PWR_SOURCE)
SETTINGS = AuthorizationsSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.authorization_service)  # SnapStart: built before the snapshot
CONTINUATION_HELP = (
    "Extension: where to continue when the range holds more than 5,000 authorizations; the previous answer's "
    "X-Next-Token header gives it."
)


@app.post(
    "/authorizations",
    tags=["Pay with Rewards"],
    summary="Post an approved authorization (Post Auth)",
    description=(
        "queueTransaction N processes it now and answers the outcome (responseReasonId 60 redeemed, 59 "
        "eligible, 70-74 ineligible); Y queues it like a network copy. The same externalId answers the "
        "first result again and redeems nothing more."
    ),
    openapi_extensions=answers(503),
)
def post_authorization(request: AuthorizationRequest) -> list[AuthorizationPostResponse]:
    caller = current_caller(app)
    service = runtime.authorization_service()
    if request.queueTransaction == "Y":
        message = service.queue_message(caller, request)
        message_id = runtime.authorization_queue().send(
            message.model_dump_json(exclude_none=True), origin=message.origin
        )
        logger.info("authorization queued", extra={"message_id": message_id, "external_id": message.externalId})
        return [AuthorizationPostResponse(responseMessage=QUEUED_MESSAGE)]
    processed = service.process_request(caller, request)
    if not processed.replayed:
        record_outcome(metrics, processed.authorization)
    return [processed.post_response()]


@app.get(
    "/authorizations",
    tags=["Pay with Rewards"],
    summary="A cardholder's processed authorizations",
    description=(
        "Between from_date and to_date, newest first. pwr_filter_categories: R redeemed (60), E eligible (59), "
        "I ineligible, comma-separated; include_reprocessed adds those redeemed later."
    ),
)
def get_authorizations(
    user_id: Annotated[str, Query(min_length=1, max_length=30)],
    from_date: date,
    to_date: date,
    include_reprocessed: bool,
    user_id_type: Annotated[
        str, Query(pattern="^(RANAC|BAN)$", description="RANAC, or BAN (extension: a card number).")
    ] = "RANAC",
    external_id: Annotated[str | None, Query(min_length=1, max_length=15)] = None,
    pwr_filter_categories: Annotated[
        str | None,
        Query(
            max_length=5,
            pattern="^[REI](,[REI]){0,2}$",
            description="Mastercard's CSV array of R, E and I (e.g. R,E): the same text on the wire.",
        ),
    ] = None,
    next_token: Annotated[str | None, Query(min_length=1, max_length=200, description=CONTINUATION_HELP)] = None,
) -> Response[list[Authorization]]:
    authorizations, next_start = runtime.authorization_service().list(
        current_caller(app),
        user_id,
        user_id_type,
        (from_date, to_date),
        include_reprocessed,
        parse_categories(pwr_filter_categories),
        external_id,
        next_token,
    )
    headers = {NEXT_TOKEN_HEADER: next_start} if next_start else None
    return Response(status_code=200, content_type="application/json", body=authorizations, headers=headers)


lambda_handler = lambda_entry(app, SETTINGS)
