"""DynamoDB's ``ClientRequestToken`` for ``TransactWriteItems``, which moto 5.2.5 ignores.

DynamoDB answers a repeated transaction whose token it has seen complete in the last ten minutes
with the same success, without applying it again; the same token with other parameters is refused
with ``IdempotentParameterMismatchException``. botocore relies on it: it fills the token in and
re-sends the identical request after a read timeout. Without this, moto refuses that re-send on the
first attempt's own conditions, a failure real DynamoDB never shows.

Only completed transactions are remembered (a cancelled one changed nothing and is evaluated
again). ``forget()`` ends every window at once: what the engine sees when the ten minutes are over.
Requires ``tools.moto_lock.install()``: the token check and the write must not interleave.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

WINDOW_SECONDS = 600

_LOCK = threading.RLock()
_ORIGINAL: dict[str, Any] = {}
_completed: dict[str, _Completed] = {}


@dataclass(frozen=True)
class _Completed:
    fingerprint: str
    at: float
    result: Any


def _fingerprint(body: dict[str, Any]) -> str:
    rest = {name: value for name, value in body.items() if name != "ClientRequestToken"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()


def install(clock: Any = time.monotonic) -> None:
    """Patch moto's TransactWriteItems handler; calling it again changes nothing."""
    from moto.dynamodb.exceptions import DynamodbException
    from moto.dynamodb.responses import DynamoHandler

    class IdempotentParameterMismatch(DynamodbException):
        def __init__(self) -> None:
            super().__init__(
                "IdempotentParameterMismatchException",
                "The request uses the same client token as a previous, but non-identical request.",
            )

    with _LOCK:
        if _ORIGINAL:
            return
        original = DynamoHandler.transact_write_items

        def transact_write_items(self: Any) -> Any:
            token = self.body.get("ClientRequestToken")
            if not token:
                return original(self)
            fingerprint = _fingerprint(self.body)
            with _LOCK:
                now = clock()
                for old in [t for t, done in _completed.items() if now - done.at >= WINDOW_SECONDS]:
                    del _completed[old]
                done = _completed.get(token)
                if done is not None:
                    if done.fingerprint != fingerprint:
                        raise IdempotentParameterMismatch()
                    return done.result
                result = original(self)  # a cancelled transaction raises: nothing to remember
                _completed[token] = _Completed(fingerprint, now, result)
                return result

        setattr(DynamoHandler, "transact_write_items", transact_write_items)  # noqa: B010
        _ORIGINAL["transact_write_items"] = original


def forget() -> None:
    """Every token's window is over: a repeated transaction is evaluated as a new one."""
    with _LOCK:
        _completed.clear()


def installed() -> bool:
    return bool(_ORIGINAL)


def uninstall() -> None:
    from moto.dynamodb.responses import DynamoHandler

    with _LOCK:
        if _ORIGINAL:
            setattr(DynamoHandler, "transact_write_items", _ORIGINAL.pop("transact_write_items"))  # noqa: B010
        _completed.clear()
