"""The functions' router answers exactly as Powertools' resolver built from the same routes (the one
docs/openapi.yaml is generated from): every API event in events/, and variants of it with a
missing, invalid or repeated parameter, a missing or invalid body field, bad JSON, no body, an
unknown route or method."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from tools.local.powertools_app import PowertoolsApp
from tools.samtemplate import http_routes

from rewards.http import lambda_entry
from tests.support import EVENTS, LambdaContext, function_environment, handler_module, load_event, set_body

FUNCTION_OF = {route.route_key: route.function for route in http_routes()}
API_EVENTS = sorted(path.stem for path in EVENTS.glob("apigw-*.json"))
TOO_LONG = "x" * 300


def with_query(event: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["queryStringParameters"] = query
    event["rawQueryString"] = urlencode(query)
    return event


def with_path(event: dict[str, Any], path: str, method: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    if method:
        event["requestContext"]["http"]["method"] = method
    return event


def with_body(event: dict[str, Any], body: str) -> dict[str, Any]:
    return set_body(copy.deepcopy(event), body)


def variants(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "as sent", event
    query = event.get("queryStringParameters") or {}
    for name in query:
        yield f"without {name}", with_query(event, {k: v for k, v in query.items() if k != name})
        yield f"{name} invalid", with_query(event, {**query, name: TOO_LONG})
        repeated = with_query(event, {**query, name: f"{query[name]},{query[name]}"})
        repeated["rawQueryString"] = urlencode([*query.items(), (name, query[name])])
        yield f"{name} repeated", repeated
    for value in (event.get("pathParameters") or {}).values():
        yield "path parameter invalid", with_path(event, event["rawPath"].replace(value, TOO_LONG[:40]))
    raw = event.get("body")
    if raw:
        sent = json.loads(raw)
        for name in sent:
            yield f"without {name}", with_body(event, json.dumps({k: v for k, v in sent.items() if k != name}))
            yield f"{name} of the wrong type", with_body(event, json.dumps({**sent, name: [1]}))
        yield "bad JSON", with_body(event, "{")
        yield "a JSON array", with_body(event, "[]")
        yield "no body", with_body(event, "")
    yield "unknown route", with_path(event, "/nope")
    yield "unknown method", with_path(event, event["rawPath"], method="DELETE")


def answer(handler: Any, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
    with function_environment(logical_id):
        response: dict[str, Any] = handler(copy.deepcopy(event), LambdaContext(function_name=logical_id))
    return {**response, "body": json.loads(response["body"]) if response.get("body") else None}


def both(logical_id: str, event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Our router's answer, then Powertools' (a request that committed is answered again: a replay)."""
    module = handler_module(logical_id)
    powertools = lambda_entry(PowertoolsApp(module.app), module.SETTINGS)
    return answer(module.lambda_handler, logical_id, event), answer(powertools, logical_id, event)


@pytest.mark.parametrize("name", API_EVENTS)
def test_router_answers_as_powertools_does(demo, name):
    event = load_event(name)
    logical_id = FUNCTION_OF[event["routeKey"]]
    if event["routeKey"] == "POST /redemptions":  # so that Powertools' call is a replay of ours
        event["headers"]["idempotency-key"] = "router-test"
    statuses = set()
    for variant, request in variants(event):
        ours, theirs = both(logical_id, request)
        assert ours == theirs, f"{name}, {variant}"
        statuses.add(ours["statusCode"])
    assert 400 in statuses and 404 in statuses, statuses


def test_a_field_error_names_the_field_in_both(demo):
    event = with_query(load_event("apigw-get-redemptions"), {"user_id": "RANACALICE0001", "from_date": "2026-01-01"})
    ours, theirs = both("RedemptionsFunction", event)
    assert ours == theirs
    assert ours["statusCode"] == 400
    [error] = ours["body"]["Errors"]["Error"]
    assert (error["ReasonCode"], error["Details"]) == ("MISSING_REQUIRED_FIELD", "to_date")


@pytest.mark.parametrize("key", ["k" * 65, "not a key!", "order-1"])
def test_idempotency_header_is_read_alike(demo, key):
    event = copy.deepcopy(load_event("apigw-post-redemption-cashback"))
    event["headers"]["idempotency-key"] = key
    ours, theirs = both("RedemptionsFunction", event)
    assert ours == theirs
    if key != "order-1":
        assert ours["statusCode"] == 400 and ours["body"]["Errors"]["Error"][0]["Details"].lower() == "idempotency-key"


def test_a_continuation_header_is_answered_alike(demo, monkeypatch):
    from rewards.services import authorizations

    monkeypatch.setattr(authorizations.AuthorizationService, "list", lambda *_: ([], "NEXT"))
    ours, theirs = both("AuthorizationsFunction", load_event("apigw-get-authorizations"))
    assert ours == theirs
    assert ours["headers"][authorizations.NEXT_TOKEN_HEADER] == "NEXT"
