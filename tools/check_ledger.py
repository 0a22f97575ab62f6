"""Check the ledger invariant of every point pool and report the pools that break it.

    python -m tools.check_ledger --local-prefix rewards-local --endpoint-url http://127.0.0.1:5000
    python -m tools.check_ledger --stack-name rewards-dev

For each pool: balance = openingBalance + credits - debits over its ledger entries, balance >= 0,
and totalDebits / totalCredits equal the sums of its entries. Prints one line per bad pool and a
summary; exits 1 if any pool is bad, 0 otherwise. Read-only (consistent reads).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from rewards.adapters.dynamo import Table
from rewards.adapters.ledger import LedgerStore
from rewards.services.ledger_check import audit_ledger


def _stack_ledger_table(session: Any, stack_name: str) -> str:
    stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return str(outputs["LedgerTableName"])


def check(store: LedgerStore, out: TextIO | None = None) -> int:
    """Print a line per bad pool and a summary (to stdout by default); return the exit status."""
    out = out or sys.stdout
    checked = bad = 0
    for audit in audit_ledger(store):
        checked += 1
        if not audit.ok:
            bad += 1
            print(f"BAD pool {audit.pool_id}: {'; '.join(audit.problems)}", file=out)
    print(f"checked {checked} pool(s): {bad} bad", file=out)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack-name", help="a deployed stack: the table name comes from its outputs")
    target.add_argument("--local-prefix", help="the local stack's resource prefix")
    parser.add_argument("--endpoint-url", help="e.g. the local moto server")
    args = parser.parse_args(argv)
    session = boto3.session.Session()
    if args.stack_name:
        table_name = _stack_ledger_table(session, args.stack_name)
    else:
        table_name = f"{args.local_prefix}-LedgerTable"
    dynamodb = session.client("dynamodb", endpoint_url=args.endpoint_url)
    return check(LedgerStore(Table(dynamodb, table_name)))


if __name__ == "__main__":
    raise SystemExit(main())
