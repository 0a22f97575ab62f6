"""The API functions' router: HTTP API (payload 2.0) events to route functions, with pydantic
validation of the path, query, header and body parameters the functions declare.

It keeps the contract of Powertools' ``APIGatewayHttpResolver(enable_validation=True)`` as the
functions use it (route decorators, ``Annotated`` parameters, a body model, the return annotation
serializing the answer, ``Response``) without importing Powertools' event handler and its OpenAPI
models at init. ``make openapi`` registers the same route functions on a Powertools resolver
(``tools/local/powertools_app.py``) to generate docs/openapi.yaml, and
tests/integration/test_router.py drives the same events through both.

A route's validators are built on its first request (as Powertools builds them).
"""

from __future__ import annotations

import base64
import inspect
import json
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

T = TypeVar("T")
View = Callable[..., Any]
# A path parameter matches what Powertools' <name> matches: one segment of URI characters.
_SEGMENT = r"[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]+"


class Param:
    """A parameter's declaration: its alias, its OpenAPI description and pydantic constraints."""

    location: ClassVar[str]

    def __init__(self, *, alias: str | None = None, description: str | None = None, **constraints: Any) -> None:
        self.alias = alias
        self.description = description
        self.constraints = constraints

    def options(self) -> dict[str, Any]:
        """The keyword arguments of Powertools' parameter of the same location."""
        named = {"alias": self.alias, "description": self.description}
        return {**{k: v for k, v in named.items() if v is not None}, **self.constraints}


class Path(Param):
    location = "path"


class Query(Param):
    location = "query"


class Header(Param):
    location = "header"


class RouteNotFound(Exception):
    """No route serves the request's method and path."""


class RequestValidationError(Exception):
    """Invalid input, as pydantic's error list with each ``loc`` starting at its location."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


@dataclass
class Response(Generic[T]):
    status_code: int
    content_type: str | None = None
    body: Any = None
    headers: dict[str, str] | None = None


class Request:
    """The current event, read the way the route functions read it."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.raw_event = event
        self.headers: dict[str, str] = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}

    @cached_property
    def decoded_body(self) -> str | None:
        body: str | None = self.raw_event.get("body")
        if self.raw_event.get("isBase64Encoded") and body:
            return base64.b64decode(body.encode()).decode()
        return body

    @property
    def authorizer(self) -> Mapping[str, Any]:
        """The request authorizer's context (HTTP API simple response)."""
        context = (self.raw_event.get("requestContext") or {}).get("authorizer") or {}
        return context.get("lambda") or {}

    @property
    def method(self) -> str:
        return str(((self.raw_event.get("requestContext") or {}).get("http") or {}).get("method", "")).upper()

    @property
    def path(self) -> str:
        path = str(self.raw_event.get("rawPath") or "/")
        stage = (self.raw_event.get("requestContext") or {}).get("stage", "$default")
        return path if stage == "$default" else path[len("/" + stage) :]

    def query(self) -> dict[str, Any]:
        """Scalar values as sent; a name repeated in the query string keeps its values (and fails validation)."""
        repeated = {k for k, v in parse_qs(self.raw_event.get("rawQueryString") or "").items() if len(v) > 1}
        values = dict(self.raw_event.get("queryStringParameters") or {})
        return {k: v.split(",") if k in repeated else v for k, v in values.items()}


@dataclass
class Route:
    method: str
    path: str  # Powertools' form: /redemptions/<id>/credits
    view: View
    openapi: dict[str, Any]  # tags, summary, description, openapi_extensions: for the document only
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        dynamic = re.sub(r"<(\w+)>", lambda name: f"(?P<{name[1]}>{_SEGMENT})", self.path)
        self.pattern = re.compile(f"^{dynamic}$")

    @property
    def dynamic(self) -> bool:
        return "<" in self.path

    @cached_property
    def signature(self) -> inspect.Signature:
        """The view's signature with its annotations evaluated (with their Annotated metadata)."""
        hints = typing.get_type_hints(self.view, include_extras=True)
        signature = inspect.signature(self.view)
        parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
        return signature.replace(parameters=parameters, return_annotation=hints.get("return", None))

    @cached_property
    def validators(self) -> tuple[dict[str, tuple[str, str]], type[BaseModel] | None, str | None, TypeAdapter[Any]]:
        """alias -> (location, name); the parameters' model; the body parameter's name; the answer's adapter."""
        where: dict[str, tuple[str, str]] = {}
        fields: dict[str, Any] = {}
        body: str | None = None
        names = set(re.findall(r"<(\w+)>", self.path))
        for parameter in sorted(self.signature.parameters.values(), key=lambda p: _location_order(p, names)):
            annotation, declared = _declaration(parameter.annotation)
            location = _location(parameter, names)
            if location == "body":
                body = parameter.name
                continue
            alias = (declared.alias if declared else None) or parameter.name
            alias = alias.lower() if location == "header" else alias  # Powertools names a header in lower case
            constraints = declared.constraints if declared else {}
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            fields[parameter.name] = (annotation, Field(default, alias=alias, **constraints))
            where[alias] = (location, parameter.name)
        model = create_model(f"{self.view.__name__}_parameters", __config__=ConfigDict(), **fields) if fields else None
        answer = self.signature.return_annotation
        if get_origin(answer) is Response:
            answer = get_args(answer)[0]
        return where, model, body, TypeAdapter(answer)


LOCATIONS = ("path", "query", "header", "body")  # Powertools validates (and reports) in this order


def _location(parameter: inspect.Parameter, path_names: set[str]) -> str:
    annotation, declared = _declaration(parameter.annotation)
    if declared is not None:
        return declared.location
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "body"
    return "path" if parameter.name in path_names else "query"


def _location_order(parameter: inspect.Parameter, path_names: set[str]) -> int:
    return LOCATIONS.index(_location(parameter, path_names))


def _declaration(annotation: Any) -> tuple[Any, Param | None]:
    """(the type, its Param) of ``Annotated[type, Query(...)]``; (the type, None) otherwise."""
    if get_origin(annotation) is typing.Annotated:
        base, *metadata = get_args(annotation)
        declared = next((m for m in metadata if isinstance(m, Param)), None)
        return base, declared
    return annotation, None


class Router:
    """Routes of one product's functions; the functions' error mapping is ``rewards.http``'s."""

    def __init__(self, source: str, errors: Callable[[Exception], Response[str]]) -> None:
        self.source = source
        self.routes: list[Route] = []
        self._errors = errors
        self.current_event = Request({})

    def route(self, method: str, path: str, **openapi: Any) -> Callable[[View], View]:
        def register(view: View) -> View:
            self.routes.append(Route(method.upper(), path, view, openapi))
            return view

        return register

    def get(self, path: str, **openapi: Any) -> Callable[[View], View]:
        return self.route("GET", path, **openapi)

    def post(self, path: str, **openapi: Any) -> Callable[[View], View]:
        return self.route("POST", path, **openapi)

    def put(self, path: str, **openapi: Any) -> Callable[[View], View]:
        return self.route("PUT", path, **openapi)

    def bind(self, event: Mapping[str, Any]) -> None:
        self.current_event = Request(event)

    def resolve(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """The HTTP API response to the event: the route's answer, or the envelope of its error."""
        self.bind(event)
        request = self.current_event
        try:
            response = self._dispatch(request)
        except Exception as error:
            response = self._errors(error)
        return _built(response)

    def _dispatch(self, request: Request) -> Response[Any]:
        ordered = [r for r in self.routes if not r.dynamic] + [r for r in self.routes if r.dynamic]
        for route in ordered:
            match = route.pattern.match(request.path) if route.method == request.method else None
            if match:
                return _call(route, request, match.groupdict())
        raise RouteNotFound(f"{request.method} {request.path}")


def _call(route: Route, request: Request, path_values: dict[str, str]) -> Response[Any]:
    where, model, body_name, answer = route.validators
    received = {"path": path_values, "query": request.query(), "header": request.headers}
    data = {}
    for alias, (location, _) in where.items():
        value = received[location].get(alias)
        if value is not None:
            data[alias] = value
    arguments: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    if model is not None:
        try:
            arguments.update(dict(model.model_validate(data)))
        except ValidationError as error:
            errors += [{**e, "loc": (where[str(e["loc"][0])][0], *e["loc"])} for e in error.errors()]
    if body_name is not None:
        parameter = route.signature.parameters[body_name]
        raw = request.decoded_body
        if not raw and parameter.default is not inspect.Parameter.empty:
            arguments[body_name] = parameter.default
        elif not raw:
            errors.append({"type": "missing", "loc": ("body",), "msg": "Field required", "input": None})
        else:
            try:
                arguments[body_name] = parameter.annotation.model_validate(json.loads(raw), from_attributes=True)
            except ValidationError as error:
                errors += [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
    if errors:
        raise RequestValidationError(errors)
    result = route.view(**arguments)
    if isinstance(result, Response):
        result.body = answer.dump_python(answer.validate_python(result.body), mode="json", by_alias=True)
        return result
    body = answer.dump_python(answer.validate_python(result), mode="json", by_alias=True)
    return Response(status_code=200, content_type="application/json", body=body)


def _built(response: Response[Any]) -> dict[str, Any]:
    """The payload 2.0 answer, as Powertools builds it."""
    body = response.body
    if response.content_type == "application/json" and not isinstance(body, str):
        body = json.dumps(body, separators=(",", ":"))
    headers = {"Content-Type": response.content_type} if response.content_type else {}
    return {
        "statusCode": response.status_code,
        "body": body,
        "isBase64Encoded": False,
        "headers": {**headers, **(response.headers or {})},
        "cookies": [],
    }
