"""Retries of Digital Redemptions requests: a request's fingerprint, its business keys (externalId,
Idempotency-Key), and the replay of the first answer a key was given."""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from pydantic import BaseModel

from rewards.domain import Caller
from rewards.errors import Conflict, Unavailable
from rewards.ledger import Ledger
from rewards.records import StoredRequest

M = TypeVar("M", bound=BaseModel)

# role of a uniqueness key -> (the request field that carried it, the reason code when it is reused)
KEY_FIELDS = {
    "unique": ("externalId", "DUPLICATE_EXTERNAL_ID"),
    "idempotency": ("Idempotency-Key", "IDEMPOTENCY_KEY_REUSED"),
}


def payload_hash(payload: Any) -> str:
    """Fingerprint of a validated request, to tell a retry from a different request with the same key."""
    text = payload.model_dump_json() if hasattr(payload, "model_dump_json") else json.dumps(payload, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def business_keys(caller: Caller, external_id: str | None, idempotency_key: str | None) -> dict[str, str]:
    """The uniqueness keys of a redemption request, by role."""
    keys = {}
    if external_id:
        keys["unique"] = f"DR#{caller.clientId}#{external_id}"
    if idempotency_key:
        keys["idempotency"] = f"IDEM#{caller.clientId}#{idempotency_key}"
    return keys


def credit_idempotency_key(caller: Caller, idempotency_key: str | None) -> str | None:
    """The uniqueness key of a credit request (only with an Idempotency-Key)."""
    return f"IDEMCREDIT#{caller.clientId}#{idempotency_key}" if idempotency_key else None


def unreadable() -> Unavailable:
    return Unavailable("The original request is not readable yet; retry the request.")


def first_answer(stored: StoredRequest | None, role: str, fingerprint: str, model: type[M]) -> M:
    """The first answer a key was given; 409 when the key came with another request."""
    if stored is None:
        raise unreadable()
    if stored.fingerprint != fingerprint:
        name, reason_code = KEY_FIELDS[role]
        raise Conflict(f"This {name} was already used for a different request.", reason_code=reason_code, details=name)
    return model.model_validate_json(stored.response_json)


def replay(ledger: Ledger, keys: dict[str, str], fingerprint: str, model: type[M]) -> M | None:
    """The first answer of a request whose key was used already, or None for a new request."""
    for role, key in keys.items():
        stored = ledger.request_for_key(key)
        if stored is not None:
            return first_answer(stored, role, fingerprint, model)
    return None
