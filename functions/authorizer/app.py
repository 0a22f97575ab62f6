"""HTTP API Lambda authorizer (payload 2.0, simple responses): verifies the OAuth 1.0a signature.

Every request that reaches it is allowed; the context carries either the verified client or the
reason it was refused, and the API functions answer 401 in the Mastercard envelope for the latter.
"""

from __future__ import annotations

from typing import Any

from rewards import runtime, snapstart
from rewards.observability import logger
from rewards.security.verifier import SignedRequest, request_url
from rewards.settings import AuthorizerSettings, settings

SETTINGS = AuthorizerSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.verifier)  # SnapStart: built before the snapshot


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The payload 2.0 event read as the plain dict it is (HTTP API lower-cases header names)."""
    settings(SETTINGS)
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    request_context = event.get("requestContext") or {}
    path, query = event.get("rawPath", "/"), event.get("rawQueryString", "")
    url = request_url(headers, path, query, request_context["domainName"])
    method = request_context["http"]["method"]
    request = SignedRequest(method, url, headers.get("authorization"), request_context["requestId"])
    return {"isAuthorized": True, "context": runtime.verifier().verify(request)}
