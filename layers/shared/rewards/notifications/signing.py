"""Auth Notifier signatures (pure): HMAC-SHA256, hex, over ``timestamp + "." + body``.

The receiver recomputes it with its secret, compares in constant time and refuses a timestamp
outside its tolerance, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Rewards-Timestamp"
SIGNATURE_HEADER = "X-Rewards-Signature"
DELIVERY_HEADER = "X-Rewards-Delivery-Id"
EVENT_TYPE_HEADER = "X-Rewards-Event-Type"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    received: str,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), received.strip().lower())
