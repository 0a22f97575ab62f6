"""POST /redemptions (CASHBACK, MERCHANDISE, TRAVEL, STATEMENT_CREDIT), GET /redemptions (history),
POST /redemptions/{id}/credits (full or partial reversal) and PUT /redemptions/{id}/status
(Update Redemption Status)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import TypeAdapter, ValidationError

from rewards import runtime, snapstart
from rewards.errors import InvalidField
from rewards.http import DR_SOURCE, answers, build_router, current_caller, lambda_entry, parse_json
from rewards.models.dr import (
    REDEMPTION_REQUEST,
    CreditRequest,
    CreditResponse,
    RedemptionHistory,
    RedemptionResponse,
    RedemptionStatusResponse,
    StatementCredit,
    UpdateRedemptionStatusRequest,
)
from rewards.router import Header, Path, Query, RequestValidationError
from rewards.services.redemptions import RedemptionService
from rewards.settings import CardholderSettings

app = build_router(DR_SOURCE)
SETTINGS = CardholderSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.redemption_service)  # SnapStart: built before the snapshot

IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}
_DISCRIMINATOR_TAGS = {"CASHBACK", "MERCHANDISE", "TRAVEL", "STATEMENT_CREDIT"}

T = TypeVar("T")


def service() -> RedemptionService:
    return runtime.redemption_service()


def parse_body(adapter: TypeAdapter[T], *, required: bool = True) -> T | None:
    """Validate the JSON body (numbers read as Decimal) and report errors by field, without the union tag."""
    raw = app.current_event.decoded_body
    if not raw:
        if not required:
            return None
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    data = parse_json(raw, parse_float=Decimal)
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        raise RequestValidationError([_field_error(e) for e in error.errors()]) from None


def _field_error(error: Any) -> dict[str, Any]:
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    if kind in _TAG_ERRORS:
        missing = kind == "union_tag_not_found"
        return {
            "type": "missing" if missing else "literal_error",
            "loc": ("body", "redemptionType"),
            "msg": "redemptionType must be one of CASHBACK, MERCHANDISE, TRAVEL, STATEMENT_CREDIT",
        }
    if loc and loc[0] in _DISCRIMINATOR_TAGS:
        loc = loc[1:]
    return {"type": kind, "loc": ("body", *loc), "msg": error.get("msg", "invalid value")}


def idempotency_key() -> str | None:
    value = app.current_event.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    if not IDEMPOTENCY_KEY.match(value):
        raise InvalidField("Idempotency-Key", "Idempotency-Key must be 1-64 letters, digits or _ . : -")
    return value


# Declared for the published document; idempotency_key() reads and checks it (its 400 names the header).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=64,
        description=(
            "Extension: the same key from the same client answers the first result again and applies "
            "nothing more (1-64 letters, digits or _ . : -)."
        ),
    ),
]
RedemptionId = Annotated[
    str, Path(pattern=r"^[1-9]\d{0,18}$", description="An item's numeric redemptionId from POST /redemptions")
]
StatusRedemptionId = Annotated[
    str,
    Path(
        pattern=r"^[1-9]\d{0,18}$",
        description=(
            "Extension: the path carries Update Redemption Status's redemptionId (an item's numeric redemptionId); "
            "Mastercard publishes no method or path for it."
        ),
    ),
]
HISTORY_NAMES = "Extension: Digital Redemptions publishes no history parameters; named as GET /authorizations' are."


@app.post(
    "/redemptions",
    tags=["Digital Redemptions"],
    summary="Redeem points: cashback, merchandise, travel, or a statement credit",
    description=(
        "Points only, cash only (the service computes the points with the program's rounding) or both (they "
        "must agree). The answer's id is the redemption's UUID; each item's numeric redemptionId is what "
        "POST /redemptions/{id}/credits takes. The same externalId or Idempotency-Key answers the first "
        "result again."
    ),
    openapi_extensions=answers(409, 422, 503),
)
def post_redemption(idempotency: IdempotencyKey = None) -> RedemptionResponse:
    request = parse_body(REDEMPTION_REQUEST)
    caller = current_caller(app)
    if isinstance(request, StatementCredit):
        return service().statement_credit(caller, request)
    assert request is not None
    return service().redeem(caller, request, idempotency_key())


@app.post(
    "/redemptions/<id>/credits",
    tags=["Digital Redemptions"],
    summary="Give back a redemption's points, in full or in part",
    description=(
        "The id is an item's numeric redemptionId from POST /redemptions (not the UUID id). Without "
        "pointsCredited, what remains is credited; never more in total than was redeemed."
    ),
    openapi_extensions=answers(409, 422, 503),
)
def post_credit(id: RedemptionId, idempotency: IdempotencyKey = None) -> CreditResponse:
    request = parse_body(TypeAdapter(CreditRequest), required=False) or CreditRequest()
    return service().credit(current_caller(app), int(id), request, idempotency_key())


@app.put(
    "/redemptions/<id>/status",
    tags=["Digital Redemptions"],
    summary="Update Redemption Status: the fulfilment partner reports an order's progress",
    description=(
        "statusCode O order placed, N order sent, B back order (with backOrderDate), S shipping date, I invoice "
        "received. An order moves forward (O, N, S, I; B before shipping, cleared by moving on); anything else "
        "is 409. The same report again answers the recorded one and changes nothing."
    ),
    openapi_extensions=answers(409, 503),
)
def put_status(id: StatusRedemptionId, request: UpdateRedemptionStatusRequest) -> RedemptionStatusResponse:
    return service().update_status(current_caller(app), int(id), request)


@app.get(
    "/redemptions",
    tags=["Digital Redemptions"],
    summary="A cardholder's redemption history",
    description="Newest first, limit per page; pass the answer's next_token to get the next page.",
)
def get_redemptions(
    user_id: Annotated[str, Query(min_length=1, max_length=30, description=HISTORY_NAMES)],
    from_date: Annotated[date, Query(description=HISTORY_NAMES)],
    to_date: Annotated[date, Query(description=HISTORY_NAMES)],
    user_id_type: Annotated[Literal["RANAC"], Query(description=HISTORY_NAMES)] = "RANAC",
    limit: Annotated[int, Query(ge=1, le=100, description="Extension: entries per page.")] = 25,
    next_token: Annotated[
        str | None, Query(min_length=1, max_length=2048, description="Extension: the previous page's nextToken.")
    ] = None,
) -> RedemptionHistory:
    return service().history(current_caller(app), user_id, from_date, to_date, limit, next_token)


lambda_handler = lambda_entry(app, SETTINGS)
