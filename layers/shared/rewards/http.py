"""HTTP edge shared by every API function: the router, the caller, and the one place where
errors become the Mastercard envelope (400 naming the field, 404, 409, 422, never a bare 500)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aws_lambda_powertools.logging import correlation_paths

from rewards.cardnumbers import mask_card_numbers
from rewards.domain import Caller, ClientRole
from rewards.errors import InvalidField, ServiceError, Unauthenticated
from rewards.models.errors import ErrorEnvelope, ErrorItem, ErrorList
from rewards.observability import logger, metrics
from rewards.router import RequestValidationError, Response, RouteNotFound, Router
from rewards.security.digest import body_hash
from rewards.security.reasons import AuthFailure, description
from rewards.settings import FunctionSettings, settings

PWR_SOURCE = "pay-with-rewards-api"
DR_SOURCE = "digital-redemptions-api"
GATEWAY_SOURCE = "Gateway"

_MISSING_TYPES = {"missing", "json_invalid"}
ANSWERS_EXTENSION = "x-answers"


def answers(*statuses: int) -> dict[str, Any]:
    """A route's ``openapi_extensions``: the error statuses it can answer besides 400, 401 and 404
    (409 conflict, 422 business refusal, 503 nothing committed); docs/openapi.yaml lists each one."""
    return {ANSWERS_EXTENSION: list(statuses)}


def error_body(
    source: str, reason_code: str, description: str, *, details: str | None = None, recoverable: bool = False
) -> str:
    item = ErrorItem(
        Source=source, ReasonCode=reason_code, Description=description, Recoverable=recoverable, Details=details
    )
    return mask_card_numbers(ErrorEnvelope(Errors=ErrorList(Error=[item])).model_dump_json())


def error_response(status: int, source: str, reason_code: str, description: str, **kwargs: Any) -> Response[str]:
    return Response(
        status_code=status, content_type="application/json", body=error_body(source, reason_code, description, **kwargs)
    )


def field_name(location: tuple[Any, ...]) -> str:
    """('body', 'items', 0, 'pointsRedeemed') -> 'items[0].pointsRedeemed'; ('query', 'user_id') -> 'user_id'."""
    parts = [p for p in location if p not in ("body", "query", "path", "header", "headers")]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        elif isinstance(part, str) and not part.startswith("function-") and part not in ("[key]",):
            name += f".{part}" if name else part
    return name or "body"


def _without_input(error: Mapping[str, Any]) -> str:
    """The validation message with the submitted value cut out (it may be a card number)."""
    message = str(error.get("msg") or "invalid value")
    value = error.get("input")
    if isinstance(value, (str, int)) and not isinstance(value, bool) and len(str(value)) >= 4:
        message = message.replace(str(value), "<value>")
    return message


def validation_response(source: str, errors: list[dict[str, Any]]) -> Response[str]:
    items = []
    for error in errors:
        field = field_name(tuple(error.get("loc", ())))
        kind = error.get("type", "")
        if kind == "json_invalid":  # its loc holds the parse position, not a field
            field, reason, text = "body", "INVALID_JSON", "The request body is not valid JSON"
        elif kind == "missing":
            reason, text = "MISSING_REQUIRED_FIELD", f"{field} is required"
        else:
            reason, text = "INVALID_FIELD", f"{field}: {_without_input(error)}"
        items.append(ErrorItem(Source=source, ReasonCode=reason, Description=text, Details=field))
    body = mask_card_numbers(ErrorEnvelope(Errors=ErrorList(Error=items[:10])).model_dump_json())
    return Response(status_code=400, content_type="application/json", body=body)


def parse_json(raw: str, **options: Any) -> Any:
    """A request body as JSON; 400 naming the body when it is not (invalid, nested past the
    parser's depth, an integer of thousands of digits), never an unexpected error."""
    try:
        return json.loads(raw, **options)
    except (ValueError, RecursionError):
        raise InvalidField("body", "The request body is not valid JSON", reason_code="INVALID_JSON") from None


def body_refusal(event: Mapping[str, Any]) -> InvalidField | None:
    """Every request body is one JSON object. Checked before any route runs (validation would
    quietly take an array's first item, and fail unexpectedly on a body nested too deep)."""
    raw = _raw_body(event)
    if not raw:
        return None
    try:
        parsed = parse_json(raw.decode())
    except UnicodeDecodeError:
        return InvalidField("body", "The request body is not UTF-8 JSON", reason_code="INVALID_JSON")
    except InvalidField as error:
        return error
    return None if isinstance(parsed, dict) else InvalidField("body", "The request body must be a JSON object")


def error_envelope(source: str, error: Exception) -> Response[str]:
    """The answer to an error raised while routing or in a route: invalid input names the field,
    a domain error its reason code, an unknown route 404, anything else a 500 that says nothing."""
    if isinstance(error, RequestValidationError):
        return validation_response(source, list(error.errors()))
    if isinstance(error, ServiceError):
        if error.status >= 500:
            logger.warning("request failed", extra={"reason_code": error.reason_code})
        return error_response(
            error.status,
            GATEWAY_SOURCE if isinstance(error, Unauthenticated) else source,
            error.reason_code,
            error.description,
            details=error.details,
            recoverable=error.recoverable,
        )
    if isinstance(error, RouteNotFound):
        return not_found_response()
    logger.exception("unexpected error")
    return error_response(500, source, "INTERNAL_ERROR", "The request could not be processed", recoverable=True)


def not_found_response() -> Response[str]:
    return error_response(404, GATEWAY_SOURCE, "NOT_FOUND", "No such resource")


def build_router(source: str) -> Router:
    """The routes of one product's functions, their errors in that product's envelope."""
    return Router(source, lambda error: error_envelope(source, error))


def current_caller(app: Router) -> Caller:
    """The client the request authorizer verified (HTTP API simple-response context)."""
    values = app.current_event.authorizer
    client_id = values.get("clientId")
    if values.get("denied") or not client_id:
        raise _refusal(values)
    programs = frozenset(p for p in str(values.get("programIds", "")).split(",") if p)
    role = ClientRole(values.get("role", ClientRole.ISSUER.value))
    return Caller(clientId=str(client_id), programIds=programs, role=role)


def _refusal(values: Mapping[str, Any]) -> Unauthenticated:
    reason = str(values.get("denied") or AuthFailure.MISSING_SIGNATURE)
    return Unauthenticated(description(reason), reason_code=reason)


def _raw_body(event: Mapping[str, Any]) -> bytes:
    text = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(text)
        except (binascii.Error, ValueError):
            return b"\0"  # matches no body hash
    return str(text).encode()


def request_refusal(event: Mapping[str, Any]) -> Unauthenticated | None:
    """Why the request must be answered 401 before any route runs (None when it may proceed).

    The authorizer cannot see the body, so it passes the signed ``oauth_body_hash`` along and the
    function compares it with the exact body bytes it received; a context without one did not come
    from the authorizer and is refused.
    """
    values = ((event.get("requestContext") or {}).get("authorizer") or {}).get("lambda") or {}
    if values.get("denied") or not values.get("clientId"):
        return _refusal(values)
    signed_hash = values.get("bodyHash")
    if signed_hash is None or signed_hash != body_hash(_raw_body(event)):
        return _refusal({"denied": AuthFailure.BODY_HASH_MISMATCH})
    return None


def refusal_response(error: Unauthenticated) -> dict[str, Any]:
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json"},
        "body": error_body(GATEWAY_SOURCE, error.reason_code, error.description),
        "isBase64Encoded": False,
    }


def json_body(model: Any) -> Any:
    """Serialize a pydantic model (or a list of them) the way the API shows it: no nulls."""
    if isinstance(model, list):
        return [json.loads(m.model_dump_json(exclude_none=True)) for m in model]
    return json.loads(model.model_dump_json(exclude_none=True))


class Routes(Protocol):
    """What a Lambda entry serves: ``rewards.router.Router`` (or the same routes on Powertools' resolver)."""

    source: str

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]: ...


def lambda_entry(
    app: Routes, function_settings: type[FunctionSettings]
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of an API function: its settings validated (once per environment),
    logging context, metrics, then the routes."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        settings(function_settings)
        refusal = request_refusal(event)
        if refusal is not None:
            logger.info("request refused", extra={"reason_code": refusal.reason_code})
            return refusal_response(refusal)
        invalid = body_refusal(event)
        if invalid is not None:
            response = error_response(400, app.source, invalid.reason_code, invalid.description, details="body")
            return {"statusCode": 400, "headers": {"Content-Type": "application/json"}, "body": response.body}
        return app.resolve(event, context)

    return handler
