"""Opaque continuation tokens (``next_token``) of the listings: a position in one account's history,
with a check that refuses a changed token or one given for another account."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from rewards.errors import InvalidField


def invalid_token() -> InvalidField:
    return InvalidField("next_token", "next_token is not a token this listing returned", reason_code="INVALID_TOKEN")


def _check(position: str, account_id: str) -> str:
    return hashlib.sha256(f"{account_id}\n{position}".encode()).hexdigest()[:16]


def encode_token(position: str, account_id: str) -> str:
    return base64.urlsafe_b64encode(f"{_check(position, account_id)}:{position}".encode()).decode()


def decode_token(token: str, account_id: str) -> str:
    try:
        check, _, position = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_token() from None
    if not position or not hmac.compare_digest(check, _check(position, account_id)):
        raise invalid_token()
    return position
