"""Reconcile the engine's records of EXTERNAL programs with the reference point bank's store.

    python -m tools.check_point_bank --local-prefix rewards-local --endpoint-url http://127.0.0.1:5000 \
        --bank-store .local/point-bank.sqlite3

For every bank account the engine asked (its intents, ``INTENT#`` items), each committed bank
movement is an intent COMMITTED with the same kind and points and its ledger entry, or a REVERSED
intent (with its ``-reversal`` movement); each COMMITTED intent is a committed bank movement; each
ledger entry of the pool comes from a COMMITTED intent; the pool's mirror equals the bank's balance.
A PENDING intent is reported (its outcome is not known here yet). Prints one line per problem and a
summary; exits 1 on any problem, 0 otherwise, 2 when it cannot read (one line says why).
Read-only: consistent reads of the ledger, SELECTs of the bank's store.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from rewards.adapters.dynamo import Table
from rewards.adapters.dynamo_ledger import DynamoLedger
from tools import target
from tools.cli import Parser, run
from tools.point_bank.store import BankStore, Movement

REVERSAL = "-reversal"


def account_problems(
    intents: list[dict[str, Any]], movements: list[Movement], ledger: DynamoLedger, pool_id: str, bank_balance: Any
) -> list[str]:
    """What disagrees between one pool's intents and ledger and the bank's movements of it."""
    problems = []
    by_key = {str(i["sk"]): i for i in intents}
    committed = {m.idempotency_key: m for m in movements if m.committed}
    for key, move in committed.items():
        intent = by_key.get(key.removesuffix(REVERSAL))
        status = intent["status"] if intent else "missing"
        if key.endswith(REVERSAL):
            if status != "REVERSED":
                problems.append(f"bank reversal {key}: engine intent {status}")
        elif status == "REVERSED":
            if key + REVERSAL not in committed:
                problems.append(f"bank movement {key}: intent REVERSED, no reversal at the bank")
        elif status != "COMMITTED":
            problems.append(f"bank movement {key} ({move.kind} {move.points}): engine intent {status}")
        elif intent is not None and (intent["kind"], Decimal(intent["points"])) != (move.kind, move.points):
            problems.append(f"bank movement {key}: {move.kind} {move.points}, the engine recorded otherwise")
    for key, intent in by_key.items():
        if intent["status"] == "COMMITTED" and key not in committed:
            problems.append(f"intent {key} COMMITTED: no committed bank movement under its key")
        if intent["status"] == "PENDING":
            problems.append(f"intent {key} PENDING: outcome not resolved")
    entries = ledger.pool_ledger(pool_id)
    from_intents = {str(i.get("entryId")) for i in intents if i["status"] == "COMMITTED"}
    problems += [
        f"ledger entry {e.entry_id} has no committed intent" for e in entries.entries if e.entry_id not in from_intents
    ]
    if entries.pool is not None and bank_balance is not None and entries.pool.balance != bank_balance:
        problems.append(f"pool mirror {entries.pool.balance} != bank balance {bank_balance}")
    return problems


def check(ledger: DynamoLedger, bank: BankStore, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    intents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    scan = ledger.table.scan(
        ConsistentRead=True,
        FilterExpression="begins_with(pk, :intent)",
        ExpressionAttributeValues={":intent": {"S": "INTENT#"}},
    )
    for item in scan:
        intents[str(item["poolId"])].append(item)
    bad = 0
    for pool_id in sorted(intents):
        for problem in account_problems(
            intents[pool_id], bank.movements(pool_id), ledger, pool_id, bank.balance(pool_id)
        ):
            bad += 1
            print(f"BAD account {pool_id}: {problem}", file=out)
    print(f"checked {len(intents)} bank account(s): {bad} problem(s)", file=out)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog="python -m tools.check_point_bank",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target.add_arguments(parser)
    parser.add_argument("--bank-store", required=True, help="the reference bank's SQLite file (--store)")
    args = parser.parse_args(argv)
    if not Path(args.bank_store).is_file():  # opening a missing store would create it
        parser.error(f"--bank-store {args.bank_store}: no such file")
    where = target.resolve(args)
    bank = BankStore(args.bank_store)
    try:
        return check(DynamoLedger(Table(where.client("dynamodb"), where.ledger_table)), bank)
    finally:
        bank.close()


if __name__ == "__main__":
    raise SystemExit(run(main))
