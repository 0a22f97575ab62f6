"""The authorizer's use case: is this request signed by an active client, and which one?

The answer is an authorizer context. API Gateway lets every request that carries a signature header
through to the functions; they answer 401 in the Mastercard envelope when the context holds
``denied`` instead of ``clientId`` (HTTP APIs cannot shape the authorizer's own deny response).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rewards.adapters.config_store import ConfigStore
from rewards.observability import logger
from rewards.security import oauth1
from rewards.security.nonces import NonceStore
from rewards.security.reasons import AuthFailure

TIMESTAMP_WINDOW_SECONDS = 300
NONCE_RETENTION_MARGIN_SECONDS = 60
MAX_NONCE_LENGTH = 64

Context = dict[str, str]


@dataclass(frozen=True)
class SignedRequest:
    method: str
    url: str  # as the client called it: scheme://host[:port]/path?query
    authorization: str | None
    request_id: str = ""  # API Gateway's id of this request: its nonce write is its own


def request_url(headers: Mapping[str, str], raw_path: str, raw_query: str, domain_name: str) -> str:
    """The URL the client signed: forwarded scheme (https by default), Host header, raw path and query."""
    lowered = {name.lower(): value for name, value in headers.items()}
    scheme = lowered.get("x-forwarded-proto", "https").split(",")[0].strip().lower() or "https"
    host = lowered.get("host") or domain_name
    return f"{scheme}://{host}{raw_path}" + (f"?{raw_query}" if raw_query else "")


def denied(reason: AuthFailure) -> Context:
    return {"denied": reason.value}


class RequestVerifier:
    def __init__(
        self,
        config: ConfigStore,
        nonces: NonceStore,
        clock: Callable[[], float] = time.time,
        window_seconds: int = TIMESTAMP_WINDOW_SECONDS,
    ) -> None:
        self.config = config
        self.nonces = nonces
        self.clock = clock
        self.window = window_seconds

    def verify(self, request: SignedRequest) -> Context:
        context = self._verify(request)
        if "denied" in context:
            logger.info("request refused", extra={"reason_code": context["denied"]})
        return context

    def _verify(self, request: SignedRequest) -> Context:
        if not request.authorization:
            return denied(AuthFailure.MISSING_SIGNATURE)
        try:
            header = oauth1.parse_header(request.authorization)
        except oauth1.MalformedHeader:
            return denied(AuthFailure.MALFORMED_AUTHORIZATION)
        if header.signature_method not in oauth1.SIGNATURE_METHODS:
            return denied(AuthFailure.UNSUPPORTED_SIGNATURE_METHOD)
        if len(header.nonce) > MAX_NONCE_LENGTH or not header.timestamp.isdigit():
            return denied(AuthFailure.MALFORMED_AUTHORIZATION)
        now = int(self.clock())
        timestamp = int(header.timestamp)
        if abs(now - timestamp) > self.window:
            return denied(AuthFailure.TIMESTAMP_OUT_OF_WINDOW)

        client = self.config.client_for_consumer_key(header.consumer_key)
        registered = (
            next((k for k in client.consumerKeys if k.consumerKey == header.consumer_key), None) if client else None
        )
        if client is None or registered is None or not registered.active:
            return denied(AuthFailure.UNKNOWN_CONSUMER_KEY)
        if not client.active:
            return denied(AuthFailure.CLIENT_DISABLED)

        try:
            public_key = oauth1.load_public_key(registered.publicKeyPem)
        except ValueError:
            logger.error("registered public key cannot be loaded", extra={"client_id": client.clientId})
            return denied(AuthFailure.INVALID_SIGNATURE)
        base = oauth1.base_string(request.method, request.url, header.signed_params())
        if not oauth1.signature_valid(public_key, base, header.signature, header.signature_method):
            return denied(AuthFailure.INVALID_SIGNATURE)

        # Only signed requests reach the nonce table: unsigned traffic cannot fill it.
        expires_at = timestamp + self.window + NONCE_RETENTION_MARGIN_SECONDS
        if not self.nonces.remember(
            header.consumer_key, header.nonce, now=now, expires_at=expires_at, request_id=request.request_id
        ):
            return denied(AuthFailure.NONCE_REPLAYED)
        return {
            "clientId": client.clientId,
            "programIds": ",".join(client.programIds),
            "role": client.role.value,
            "bodyHash": header.body_hash,
        }
