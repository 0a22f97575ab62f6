"""HTTP API Lambda authorizer (payload 2.0, simple responses): verifies the OAuth 1.0a signature.

Every request that reaches it is allowed; the context carries either the verified client or the
reason it was refused, and the API functions answer 401 in the Mastercard envelope for the latter.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import APIGatewayAuthorizerEventV2

from rewards import runtime
from rewards.observability import logger
from rewards.security.verifier import SignedRequest, request_url
from rewards.settings import AuthorizerSettings, settings

SETTINGS = AuthorizerSettings  # this function's environment (template.yaml)


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerEventV2)
def lambda_handler(event: APIGatewayAuthorizerEventV2, context: Any) -> dict[str, Any]:
    settings(SETTINGS)
    url = request_url(event.headers, event.raw_path, event.raw_query_string, event.request_context.domain_name)
    request = SignedRequest(
        event.request_context.http.method, url, event.headers.get("authorization"), event.request_context.request_id
    )
    return {"isAuthorized": True, "context": runtime.verifier().verify(request)}
