"""Check the ledger invariant of every point pool and report the pools that break it.

    python -m tools.check_ledger --local-prefix rewards-local --endpoint-url http://127.0.0.1:5000
    python -m tools.check_ledger --stack-name rewards-dev

For each pool: balance = openingBalance + credits - debits over its ledger entries, balance >= 0,
and totalDebits / totalCredits equal the sums of its entries. The pools of a program whose points
a client's point bank holds mirror the bank's balance: their totals and sign are checked here,
their balance by `python -m tools.check_point_bank`. Prints one line per bad pool and a
summary; exits 1 if any pool is bad, 0 otherwise, 2 when it cannot read the ledger (one line says
why). Read-only (consistent reads).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from rewards.adapters.config_store import ConfigStore
from rewards.adapters.dynamo import Table
from rewards.adapters.dynamo_ledger import DynamoLedger
from rewards.ledger import Configuration, Ledger
from rewards.services.ledger_check import audit_ledger, held_at_bank
from tools import target
from tools.cli import Parser, run


def check(ledger: Ledger, out: TextIO | None = None, config: Configuration | None = None) -> int:
    """Print a line per bad pool and a summary (to stdout by default); return the exit status.
    ``config`` tells the programs held at a point bank (none without it)."""
    out = out or sys.stdout
    checked = bad = mirrored = 0
    for audit in audit_ledger(ledger, held_at_bank(config) if config else lambda _: False):
        checked += 1
        mirrored += audit.mirrored
        if not audit.ok:
            bad += 1
            print(f"BAD pool {audit.pool_id}: {'; '.join(audit.problems)}", file=out)
    banks = f" ({mirrored} mirror a point bank: python -m tools.check_point_bank checks them)" if mirrored else ""
    print(f"checked {checked} pool(s): {bad} bad{banks}", file=out)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog="python -m tools.check_ledger", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    target.add_arguments(parser)
    where = target.resolve(parser.parse_args(argv))
    dynamodb = where.client("dynamodb")
    config = ConfigStore(Table(dynamodb, where.config_table), 0)
    return check(DynamoLedger(Table(dynamodb, where.ledger_table)), config=config)


if __name__ == "__main__":
    raise SystemExit(run(main))
