"""Identifiers made without a counter (no hot key): random values, uniqueness by conditional put."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field

AUTHORIZATION_ID_DIGITS = 10  # Authorization.id is 1-10 characters
REDEMPTION_ID_DIGITS = 10


def _digits(count: int) -> str:
    return str(secrets.randbelow(9 * 10 ** (count - 1)) + 10 ** (count - 1))


def new_authorization_id() -> str:
    return _digits(AUTHORIZATION_ID_DIGITS)


def authorization_id(business_key: str, probe: int = 0) -> str:
    """The id of the authorization of ``business_key``, derived from it: the record itself is the
    key's uniqueness item. ``probe`` moves past an id another key already took (open addressing)."""
    digest = hashlib.sha256(f"{probe}:{business_key}".encode()).digest()
    low = 10 ** (AUTHORIZATION_ID_DIGITS - 1)
    return str(low + int.from_bytes(digest[:8], "big") % (9 * low))


def new_redemption_id() -> int:
    """Numeric ``redemptionId`` (seed samples show integers)."""
    return int(_digits(REDEMPTION_ID_DIGITS))


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_token() -> str:
    """A ClientRequestToken (1-36 characters)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class CommitIds:
    """What one request writes, fixed before its first send so that every send writes the same
    items: its record, its ledger entry and its outbox event. ``token`` is stored in the record and
    tells this request's commit from any other's when it is read back."""

    record: str
    entry: str = field(default_factory=new_uuid)
    event: str = field(default_factory=new_uuid)
    token: str = field(default_factory=new_token)
