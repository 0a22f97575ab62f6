"""oauth_body_hash: base64(SHA-256(exact body bytes)); free of cryptography so every function can use it."""

from __future__ import annotations

import base64
import hashlib


def body_hash(body: bytes) -> str:
    """A request without a body hashes the empty string, as the signer does."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode()
