"""A function refuses a request whose authorizer context does not vouch for its body."""

from __future__ import annotations

import copy

from tests.support import LambdaContext, body, handler_module, load_event


def call_directly(logical_id: str, event: dict) -> dict:
    """Bypass tests.support.invoke, which stands in for the authorizer's bodyHash."""
    return handler_module(logical_id).lambda_handler(event, LambdaContext(function_name=logical_id))


def test_context_without_body_hash_is_refused_before_any_route(demo):
    event = copy.deepcopy(load_event("apigw-post-authorization-sync"))
    del event["requestContext"]["authorizer"]["lambda"]["bodyHash"]
    response = call_directly("AuthorizationsFunction", event)
    assert response["statusCode"] == 401
    [error] = body(response)["Errors"]["Error"]
    assert error["ReasonCode"] == "BODY_HASH_MISMATCH" and error["Source"] == "Gateway"


def test_sample_event_with_its_body_hash_is_accepted(demo):
    response = call_directly("RedeemersFunction", copy.deepcopy(load_event("apigw-get-redeemer")))
    assert response["statusCode"] == 200, response
