"""Sign a request the way Mastercard's client libraries do (OAuth 1.0a, RSA-SHA256, oauth_body_hash)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def authorization_header(method: str, url: str, body: str | None, consumer_key: str, signing_key: Any) -> str:
    """The Authorization header for exactly this URL (query included) and exactly this body text."""
    from oauth1.oauth import OAuth

    return str(OAuth.get_authorization_header(url, method.upper(), body or "", consumer_key, signing_key))
