"""Identifiers made without a counter (no hot key): random values, uniqueness by conditional put."""

from __future__ import annotations

import secrets
import uuid

AUTHORIZATION_ID_DIGITS = 10  # Authorization.id is 1-10 characters
REDEMPTION_ID_DIGITS = 10


def _digits(count: int) -> str:
    return str(secrets.randbelow(9 * 10 ** (count - 1)) + 10 ** (count - 1))


def new_authorization_id() -> str:
    return _digits(AUTHORIZATION_ID_DIGITS)


def new_redemption_id() -> int:
    """Numeric ``redemptionId`` (seed samples show integers)."""
    return int(_digits(REDEMPTION_ID_DIGITS))


def new_uuid() -> str:
    return str(uuid.uuid4())
