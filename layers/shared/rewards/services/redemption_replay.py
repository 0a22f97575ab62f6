"""Retries of Digital Redemptions requests: a request's fingerprint, its business keys (externalId,
Idempotency-Key), the record that keeps its response, and the replay of that response."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from rewards.adapters.dynamo import Item
from rewards.adapters.ledger import iso
from rewards.adapters.redemptions import RedemptionStore, request_key
from rewards.domain import Caller
from rewards.errors import Conflict, Unavailable
from rewards.models.dr import CreditResponse, RedemptionResponse

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


def replayed_or_retry(response: M | None) -> M:
    """After a refused uniqueness key: the first response, or 503 while it is not readable yet."""
    if response is None:
        raise unreadable()
    return response


def _replay(
    store: RedemptionStore,
    keys: dict[str, str],
    fingerprint: str,
    read_record: Callable[[str], Item | None],
    model: type[M],
) -> M | None:
    """The first response for a key already used; 409 when the same key came with another request."""
    for role, key in keys.items():
        reference = store.unique_reference(key)
        if reference is None:
            continue
        record = read_record(reference)
        if record is None:
            raise unreadable()
        if record["payloadHash"] != fingerprint:
            name, reason_code = KEY_FIELDS[role]
            raise Conflict(
                f"This {name} was already used for a different request.", reason_code=reason_code, details=name
            )
        return model.model_validate_json(record["response"])
    return None


def replay_redemption(store: RedemptionStore, keys: dict[str, str], fingerprint: str) -> RedemptionResponse | None:
    return _replay(store, keys, fingerprint, store.request_record, RedemptionResponse)


def replay_credit(store: RedemptionStore, key: str, fingerprint: str) -> CreditResponse | None:
    return _replay(store, {"idempotency": key}, fingerprint, store.credit_record, CreditResponse)


def request_record(
    request_id: str,
    caller: Caller,
    account_id: str,
    redemption_type: str,
    fingerprint: str,
    response: RedemptionResponse,
    now: datetime,
    **extra: Any,
) -> dict[str, Any]:
    """The DR_REQUEST item a replay reads: who asked, the request's fingerprint and its response."""
    pk, sk = request_key(request_id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "DR_REQUEST",
        "clientId": caller.clientId,
        "accountId": account_id,
        "redemptionType": redemption_type,
        "payloadHash": fingerprint,
        "response": response.model_dump_json(),
        "createdAt": iso(now),
        **extra,
    }
