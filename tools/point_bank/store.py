"""The reference bank's store: accounts and the outcome of every idempotency key, in SQLite.

Each debit or credit is one SQLite transaction (``BEGIN IMMEDIATE``): the key's record, the balance
change and the answer commit together, so a key has exactly one outcome and a balance never goes
negative. A refusal for insufficient points is an outcome too: the key answers it again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

Kind = Literal["DEBIT", "CREDIT"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, balance TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS movements (
    idempotency_key TEXT PRIMARY KEY,
    transaction_id INTEGER NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    points TEXT NOT NULL,
    reference TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    answer TEXT NOT NULL,
    committed_at TEXT NOT NULL
);
"""


class UnknownAccount(Exception):
    """No account with this id: nothing was recorded under the key."""


class KeyReused(Exception):
    """The key's outcome belongs to another request (another account, kind, points or reference)."""


@dataclass(frozen=True)
class Outcome:
    status: int  # 201 committed, 409 refused for insufficient points
    answer: dict[str, Any]
    replayed: bool  # the key's earlier outcome, answered again


@dataclass(frozen=True)
class Movement:
    idempotency_key: str
    transaction_id: int
    account_id: str
    kind: Kind
    points: Decimal
    reference: str
    committed: bool  # False: refused (insufficient points), no balance change
    committed_at: str


def fingerprint(account_id: str, kind: str, points: Decimal, reference: str) -> str:
    """What makes two requests under one key the same request (points compared as numbers)."""
    canonical = json.dumps([account_id, kind, format(points.normalize(), "f"), reference])
    return hashlib.sha256(canonical.encode()).hexdigest()


def points_text(points: Decimal) -> str:
    return format(points.normalize(), "f") if points else "0"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BankStore:
    def __init__(self, path: Path | str = ":memory:") -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()  # one connection, shared by the server's threads
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- accounts ------------------------------------------------------------------------------
    def open_account(self, account_id: str, balance: Decimal) -> None:
        """Create the account, or set its balance (the local stack's seeding; not in the contract)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO accounts VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET balance = excluded.balance",
                (account_id, points_text(balance)),
            )

    def balance(self, account_id: str) -> Decimal | None:
        with self._lock:
            row = self._db.execute("SELECT balance FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
        return Decimal(row[0]) if row else None

    def balances(self) -> dict[str, Decimal]:
        with self._lock:
            rows = self._db.execute("SELECT account_id, balance FROM accounts ORDER BY account_id").fetchall()
        return {account: Decimal(balance) for account, balance in rows}

    # -- movements -----------------------------------------------------------------------------
    def move(self, key: str, account_id: str, kind: Kind, points: Decimal, reference: str) -> Outcome:
        """The key's outcome: committed now, or the one it already has (``replayed``)."""
        mine = fingerprint(account_id, kind, points, reference)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                outcome = self._move(key, mine, account_id, kind, points, reference)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return outcome

    def _move(self, key: str, mine: str, account_id: str, kind: Kind, points: Decimal, reference: str) -> Outcome:
        earlier = self._db.execute(
            "SELECT fingerprint, status, answer FROM movements WHERE idempotency_key = ?", (key,)
        ).fetchone()
        if earlier is not None:
            if earlier[0] != mine:
                raise KeyReused(key)
            return Outcome(int(earlier[1]), json.loads(earlier[2]), replayed=True)
        row = self._db.execute("SELECT balance FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
        if row is None:
            raise UnknownAccount(account_id)
        balance = Decimal(row[0])
        (last,) = self._db.execute("SELECT COALESCE(MAX(transaction_id), 0) FROM movements").fetchone()
        transaction_id, committed_at = int(last) + 1, now_iso()
        if kind == "DEBIT" and points > balance:
            status = 409
            answer: dict[str, Any] = {
                "error": {
                    "code": "INSUFFICIENT_POINTS",
                    "message": f"account {account_id} holds {points_text(balance)} points, {points_text(points)} asked",
                    "balance": points_text(balance),
                }
            }
        else:
            status = 201
            balance = balance - points if kind == "DEBIT" else balance + points
            self._db.execute("UPDATE accounts SET balance = ? WHERE account_id = ?", (points_text(balance), account_id))
            answer = {
                "transactionId": str(transaction_id),
                "idempotencyKey": key,
                "accountId": account_id,
                "kind": kind,
                "points": points_text(points),
                "reference": reference,
                "balance": points_text(balance),
                "committedAt": committed_at,
            }
        self._db.execute(
            "INSERT INTO movements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                transaction_id,
                account_id,
                kind,
                points_text(points),
                reference,
                mine,
                status,
                json.dumps(answer),
                committed_at,
            ),
        )
        return Outcome(status, answer, replayed=False)

    def movements(self, account_id: str | None = None) -> list[Movement]:
        """Every key's outcome, oldest first (the reconciliation reads these)."""
        query = "SELECT idempotency_key, transaction_id, account_id, kind, points, reference, status, committed_at"
        query += " FROM movements" + (" WHERE account_id = ?" if account_id else "") + " ORDER BY transaction_id"
        with self._lock:
            rows = self._db.execute(query, (account_id,) if account_id else ()).fetchall()
        return [
            Movement(key, int(tid), account, kind, Decimal(points), reference, int(status) == 201, at)
            for key, tid, account, kind, points, reference, status, at in rows
        ]
