"""HTTP API Lambda authorizer (payload 2.0, simple responses): verifies the OAuth 1.0a signature.

Every request that reaches it is allowed; the context carries either the verified client or the
reason it was refused, and the API functions answer 401 in the Mastercard envelope for the latter.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import APIGatewayAuthorizerEventV2

from rewards.adapters.config_store import ConfigStore
from rewards.adapters.dynamo import Table
from rewards.observability import logger
from rewards.security.nonces import NonceStore
from rewards.security.verifier import RequestVerifier, SignedRequest, request_url

CONFIG_CACHE_SECONDS = 30


@cache
def verifier() -> RequestVerifier:
    import boto3
    from botocore.config import Config

    dynamodb = boto3.client("dynamodb", config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2}))
    config = ConfigStore(Table(dynamodb, os.environ["CONFIG_TABLE_NAME"]), CONFIG_CACHE_SECONDS)
    return RequestVerifier(config, NonceStore(Table(dynamodb, os.environ["NONCE_TABLE_NAME"])))


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerEventV2)
def lambda_handler(event: APIGatewayAuthorizerEventV2, context: Any) -> dict[str, Any]:
    url = request_url(event.headers, event.raw_path, event.raw_query_string, event.request_context.domain_name)
    request = SignedRequest(
        event.request_context.http.method, url, event.headers.get("authorization"), event.request_context.request_id
    )
    return {"isAuthorized": True, "context": verifier().verify(request)}
