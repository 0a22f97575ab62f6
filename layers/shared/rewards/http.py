"""HTTP edge shared by every API function: the resolver, the caller, and the one place where
errors become the Mastercard envelope (400 naming the field, 404, 409, 422, never a bare 500)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths

from rewards.domain import Caller, ClientRole
from rewards.errors import ServiceError, Unauthenticated
from rewards.models.errors import ErrorEnvelope, ErrorItem, ErrorList
from rewards.observability import logger, metrics, tracer

PWR_SOURCE = "pay-with-rewards-api"
DR_SOURCE = "digital-redemptions-api"
GATEWAY_SOURCE = "Gateway"

_MISSING_TYPES = {"missing", "json_invalid"}


def error_body(
    source: str, reason_code: str, description: str, *, details: str | None = None, recoverable: bool = False
) -> str:
    item = ErrorItem(
        Source=source, ReasonCode=reason_code, Description=description, Recoverable=recoverable, Details=details
    )
    return ErrorEnvelope(Errors=ErrorList(Error=[item])).model_dump_json()


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


def validation_response(source: str, errors: list[dict[str, Any]]) -> Response[str]:
    items = []
    for error in errors:
        field = field_name(tuple(error.get("loc", ())))
        kind = error.get("type", "")
        if kind == "json_invalid":
            reason, text = "INVALID_JSON", "The request body is not valid JSON"
        elif kind == "missing":
            reason, text = "MISSING_REQUIRED_FIELD", f"{field} is required"
        else:
            reason, text = "INVALID_FIELD", f"{field}: {error.get('msg', 'invalid value')}"
        items.append(ErrorItem(Source=source, ReasonCode=reason, Description=text, Details=field))
    body = ErrorEnvelope(Errors=ErrorList(Error=items[:10])).model_dump_json()
    return Response(status_code=400, content_type="application/json", body=body)


def build_resolver(source: str) -> APIGatewayHttpResolver:
    """An HTTP API (payload v2) resolver with pydantic validation and envelope errors."""
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(error: RequestValidationError) -> Response[str]:
        return validation_response(source, list(error.errors()))

    @app.exception_handler(ServiceError)  # type: ignore[untyped-decorator]
    def _service(error: ServiceError) -> Response[str]:
        if error.status >= 500:
            logger.warning("request failed", extra={"reason_code": error.reason_code})
        return error_response(
            error.status,
            source,
            error.reason_code,
            error.description,
            details=error.details,
            recoverable=error.recoverable,
        )

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[str]:
        return error_response(404, GATEWAY_SOURCE, "NOT_FOUND", "No such resource")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return error_response(500, source, "INTERNAL_ERROR", "The request could not be processed", recoverable=True)

    return app


def current_caller(app: APIGatewayHttpResolver) -> Caller:
    """The client the request authorizer verified (HTTP API simple-response context)."""
    context = app.current_event.request_context.authorizer
    values = (context.get_lambda if context else None) or {}
    client_id = values.get("clientId")
    if not client_id:
        raise Unauthenticated("The request is not signed by a registered client.")
    programs = frozenset(p for p in str(values.get("programIds", "")).split(",") if p)
    role = ClientRole(values.get("role", ClientRole.ISSUER.value))
    return Caller(clientId=str(client_id), programIds=programs, role=role)


def json_body(model: Any) -> Any:
    """Serialize a pydantic model (or a list of them) the way the API shows it: no nulls."""
    if isinstance(model, list):
        return [json.loads(m.model_dump_json(exclude_none=True)) for m in model]
    return json.loads(model.model_dump_json(exclude_none=True))


def lambda_entry(app: APIGatewayHttpResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of an API function: logging context, metrics, tracing, then the routes."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler
