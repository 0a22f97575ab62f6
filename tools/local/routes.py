"""The HTTP API as template.yaml declares it: routes, path parameters and the authorizer of each route."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tools.samtemplate import DEFAULT_ROUTE, Route, default_route, http_routes, resources


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda REQUEST authorizer of an HTTP API (payload 2.0)."""

    name: str
    function: str  # logical id
    identity_headers: tuple[str, ...]
    identity_query: tuple[str, ...]
    simple_responses: bool


@dataclass(frozen=True)
class LocalRoute:
    route: Route
    pattern: re.Pattern[str]
    authorizer: AuthorizerSpec | None

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.route.method not in (method, "ANY"):
            return None
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


def _logical_id(reference: Any) -> str:
    """The logical id in ``!Ref X``, ``!GetAtt X.Arn`` or their long forms."""
    value = getattr(reference, "value", reference)
    if isinstance(value, dict):
        value = next(iter(value.values()))
    if isinstance(value, list):
        value = value[0]
    return str(value).split(".")[0]


def _authorizers(api_id: str) -> tuple[dict[str, AuthorizerSpec], str | None]:
    auth = resources()[api_id].get("Properties", {}).get("Auth", {})
    found = {}
    for name, spec in auth.get("Authorizers", {}).items():
        identity = spec.get("Identity", {})
        found[name] = AuthorizerSpec(
            name=name,
            function=_logical_id(spec["FunctionArn"]),
            identity_headers=tuple(identity.get("Headers", [])),
            identity_query=tuple(identity.get("QueryStrings", [])),
            simple_responses=bool(spec.get("EnableSimpleResponses", False)),
        )
    return found, auth.get("DefaultAuthorizer")


def _event_of(route: Route) -> dict[str, Any]:
    for event in resources()[route.function]["Properties"].get("Events", {}).values():
        props = event["Properties"]
        if event["Type"] == "HttpApi" and props["Path"] == route.path and route.path == DEFAULT_ROUTE:
            return dict(props)
        if event["Type"] == "HttpApi" and props["Method"].upper() == route.method and props["Path"] == route.path:
            return dict(props)
    raise KeyError(route.route_key)


def _pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join(f"(?P<{p[1:-1].rstrip('+')}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex)


def local_routes() -> list[LocalRoute]:
    """Every route of the template; literal paths win over parameterised ones (/redeemers/search)."""
    routes = []
    for route in http_routes():
        routes.append(LocalRoute(route, _pattern(route.path), _authorizer_of(_event_of(route))))
    routes.sort(key=lambda r: (r.route.path.count("{"), -len(r.route.path)))
    fallback = default_route()
    if fallback is not None:  # `$default`: every request no other route matches, after all of them
        routes.append(LocalRoute(fallback, re.compile(r".*"), _authorizer_of(_event_of(fallback))))
    return routes


def _authorizer_of(props: dict[str, Any]) -> AuthorizerSpec | None:
    authorizers, default = _authorizers(_logical_id(props["ApiId"])) if "ApiId" in props else ({}, None)
    chosen = props.get("Auth", {}).get("Authorizer", default)
    return None if chosen in (None, "NONE") else authorizers[chosen]


def find_route(routes: list[LocalRoute], method: str, path: str) -> tuple[LocalRoute, dict[str, str]] | None:
    for candidate in routes:
        params = candidate.match(method, path)
        if params is not None:
            return candidate, params
    return None
