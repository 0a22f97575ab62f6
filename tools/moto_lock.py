"""Serialize moto's request handling so concurrent tests see DynamoDB's per-request atomicity.

moto 5.2.5 has no lock in its DynamoDB backend: two threads can both pass a condition before
either writes, and a failed transaction restores a whole-table snapshot over other threads'
writes. With this patch every moto action runs under one re-entrant lock, so a race test checks
the application's conditions, not moto's. It covers ``mock_aws`` and a moto server running in the
same process; the local stack's moto process (``tools.local.moto_server``) calls ``install()``
before it serves. moto still never raises TransactionConflict or throttling errors.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCK = threading.RLock()
_ORIGINAL: dict[str, Any] = {}


def install() -> None:
    """Wrap ``BaseResponse.call_action`` in the lock; calling it again changes nothing."""
    from moto.core.responses import BaseResponse

    with _LOCK:
        if _ORIGINAL:
            return
        original = BaseResponse.call_action

        def call_action_locked(self: Any) -> Any:
            with _LOCK:
                return original(self)

        setattr(BaseResponse, "call_action", call_action_locked)  # noqa: B010
        _ORIGINAL["call_action"] = original


def installed() -> bool:
    return bool(_ORIGINAL)


@contextmanager
def serialized() -> Iterator[None]:
    """Hold the lock: no moto action runs meanwhile (to read a backend's state directly)."""
    with _LOCK:
        yield


def uninstall() -> None:
    from moto.core.responses import BaseResponse

    with _LOCK:
        if _ORIGINAL:
            setattr(BaseResponse, "call_action", _ORIGINAL.pop("call_action"))  # noqa: B010


Snapshot = tuple[Any, Any, Any, Any]  # (table, hash value, range value or None, item copy or None)


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[Snapshot]:
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    saved = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        attrs = op.get("Item") or op.get("Key") or {}
        if table is None or table.hash_key_attr not in attrs:
            continue
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr in attrs else None
        if range_value is None:
            current = table.items.get(hash_value)
        else:
            current = table.items.get(hash_value, {}).get(range_value)
        saved.append((table, hash_value, range_value, copy.deepcopy(current)))
    return saved


def _restore(saved: list[Snapshot], streams: dict[Any, int]) -> None:
    for table, hash_value, range_value, item in reversed(saved):
        bucket, slot = (table.items, hash_value) if range_value is None else (table.items[hash_value], range_value)
        if item is None:
            bucket.pop(slot, None)
        else:
            bucket[slot] = item
        if range_value is not None and not table.items[hash_value]:
            table.items.pop(hash_value, None)
    for table, length in streams.items():
        del table.stream_shard.items[length:]


@contextmanager
def item_level_transactions() -> Iterator[None]:
    """Make moto's TransactWriteItems cost O(items touched) instead of O(table size).

    moto deep-copies the whole table once per action to roll back a cancelled transaction, so a
    test with a few thousand items spends seconds per transaction. Inside this context the table
    copy is skipped and only the touched items (and the stream records written meanwhile) are
    restored on cancellation. Requires ``install()``: the restore is only safe while no other
    request can run in between.
    """
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    if not installed():
        raise RuntimeError("install() the moto lock first")
    backend_class = models.DynamoDBBackend
    original = backend_class.transact_write_items

    def deepcopy_except_tables(obj: Any, memo: Any = None) -> Any:
        return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
            saved = _snapshot(self, transact_items)
            streams = {t: len(t.stream_shard.items) for t, *_ in saved if t.stream_shard is not None}
            try:
                original(self, transact_items)
            except Exception:
                _restore(saved, streams)
                raise

    setattr(models, "copy", types.SimpleNamespace(deepcopy=deepcopy_except_tables))  # noqa: B010
    setattr(backend_class, "transact_write_items", transact_write_items)  # noqa: B010
    try:
        yield
    finally:
        setattr(backend_class, "transact_write_items", original)  # noqa: B010
        setattr(models, "copy", copy)  # noqa: B010
