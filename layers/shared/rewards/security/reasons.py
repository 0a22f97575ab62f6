"""Why a request was refused at the gateway (ReasonCode of the 401 envelope, Source "Gateway")."""

from __future__ import annotations

from enum import StrEnum


class AuthFailure(StrEnum):
    MISSING_SIGNATURE = "MISSING_SIGNATURE"
    MALFORMED_AUTHORIZATION = "MALFORMED_AUTHORIZATION"
    UNSUPPORTED_SIGNATURE_METHOD = "UNSUPPORTED_SIGNATURE_METHOD"
    TIMESTAMP_OUT_OF_WINDOW = "TIMESTAMP_OUT_OF_WINDOW"
    UNKNOWN_CONSUMER_KEY = "UNKNOWN_CONSUMER_KEY"
    CLIENT_DISABLED = "CLIENT_DISABLED"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    NONCE_REPLAYED = "NONCE_REPLAYED"
    BODY_HASH_MISMATCH = "BODY_HASH_MISMATCH"


DESCRIPTIONS = {
    AuthFailure.MISSING_SIGNATURE: "The request is not signed by a registered client.",
    AuthFailure.MALFORMED_AUTHORIZATION: "The Authorization header is not a valid OAuth 1.0a header.",
    AuthFailure.UNSUPPORTED_SIGNATURE_METHOD: "oauth_signature_method must be RSA-SHA256 or RSA-PSS-SHA256.",
    AuthFailure.TIMESTAMP_OUT_OF_WINDOW: "oauth_timestamp is more than 300 seconds away from the server time.",
    AuthFailure.UNKNOWN_CONSUMER_KEY: "The consumer key is not registered or not active.",
    AuthFailure.CLIENT_DISABLED: "The client of this consumer key is disabled.",
    AuthFailure.INVALID_SIGNATURE: "The signature does not match the request.",
    AuthFailure.NONCE_REPLAYED: "oauth_nonce was already used.",
    AuthFailure.BODY_HASH_MISMATCH: "oauth_body_hash does not match the request body.",
}


def description(reason: str) -> str:
    try:
        return DESCRIPTIONS[AuthFailure(reason)]
    except ValueError:
        return DESCRIPTIONS[AuthFailure.MISSING_SIGNATURE]
