"""Rebates by hand (docs/settlement.md): settle a business day, apply an acknowledgement file, or
reconcile, on the local stack or a deployed one.

    python -m tools.rebates --local-prefix rewards-local settle --date 2026-11-20 [--client demo-issuer] [--as-of T]
    python -m tools.rebates --local-prefix rewards-local ack path/to/file.csv
    python -m tools.rebates --stack-name rewards-dev check [--client demo-issuer]

``settle`` writes (or, for a written day, rewrites identically) the day's file and copies it with
its manifest into --copy-to (default .local/settlement/); ``--as-of`` settles as if it were that
moment (a local walkthrough settles today's day "tomorrow"). ``ack`` uploads the file under acks/
and applies it, printing the report. ``check`` is read-only; it exits 1 on a mismatch.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tools import target
from tools.cli import Parser, Problem, run
from tools.samtemplate import ROOT

if TYPE_CHECKING:
    from rewards.settlement.service import RebateService

DEFAULT_COPIES = ROOT / ".local" / "settlement"


def service(where: target.Target, clock: datetime | None = None) -> RebateService:
    from rewards.adapters.config_store import ConfigStore
    from rewards.adapters.dynamo import Table
    from rewards.adapters.dynamo_ledger import DynamoLedger
    from rewards.adapters.rebate_store import DynamoRebateStore
    from rewards.adapters.settlement_bucket import S3SettlementBucket
    from rewards.settlement.service import RebateService

    if not where.settlement_bucket:
        raise Problem(f"{where.description} has no settlement bucket (output SettlementBucketName)")
    dynamodb = where.client("dynamodb")
    ledger = DynamoLedger(Table(dynamodb, where.ledger_table))
    found = RebateService(
        DynamoRebateStore(ledger.table, ledger),
        ledger,
        ConfigStore(Table(dynamodb, where.config_table)),
        S3SettlementBucket(where.client("s3"), where.settlement_bucket),
    )
    if clock is not None:
        found.clock = lambda: clock
    return found


def settle(where: target.Target, args: argparse.Namespace) -> int:
    from rewards.settlement.service import DayNotClosed, SettlementMismatch, manifest

    as_of = datetime.fromisoformat(args.as_of).astimezone() if args.as_of else None
    rebates = service(where, as_of)
    try:
        result = rebates.settle(args.client, date.fromisoformat(args.date))
    except (DayNotClosed, SettlementMismatch) as problem:
        raise Problem(str(problem)) from None
    file = result.file
    assert file.object_key is not None
    copies = Path(args.copy_to)
    copies.mkdir(parents=True, exist_ok=True)
    s3 = where.client("s3")
    for key in (file.object_key, file.object_key + ".manifest.json"):
        body = s3.get_object(Bucket=where.settlement_bucket, Key=key)["Body"].read()
        (copies / key.rsplit("/", 1)[1]).write_bytes(body)
    done = "rewrote" if result.rerun else "wrote"
    print(f"{done} {file.file_id}: {file.lines} line(s), totals {manifest(file)['totals']}")
    print(f"  s3://{where.settlement_bucket}/{file.object_key}  copied to {copies}/")
    return 0


def acknowledge(where: target.Target, args: argparse.Namespace) -> int:
    from rewards.settlement.service import report_text

    path = Path(args.file)
    if not path.is_file():
        raise Problem(f"{path}: no such file")
    key = f"acks/{path.name}"
    where.client("s3").put_object(Bucket=where.settlement_bucket, Key=key, Body=path.read_bytes())
    rebates = service(where)
    outcomes = rebates.acknowledge(key)
    report = report_text(outcomes)
    assert rebates.bucket is not None
    rebates.bucket.write_text(f"reports/{path.name}.report.csv", report)
    sys.stdout.write(report)
    return 0


def check(where: target.Target, args: argparse.Namespace) -> int:
    from rewards.settlement.reconciliation import reconcile, summary

    result = reconcile(service(where), datetime.now().astimezone(), args.client)
    summary(result, print)
    return 0 if result.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog="python -m tools.rebates", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    target.add_arguments(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    settling = commands.add_parser("settle", help="write (or rewrite) one business day's file")
    settling.add_argument("--date", required=True, help="the business day, YYYY-MM-DD")
    settling.add_argument("--client", default="demo-issuer", help="the issuer (default demo-issuer)")
    settling.add_argument("--as-of", help="settle as if it were this ISO moment (local walkthroughs)")
    settling.add_argument("--copy-to", default=str(DEFAULT_COPIES), help="where the file and manifest are copied")
    acking = commands.add_parser("ack", help="upload an acknowledgement file to acks/ and apply it")
    acking.add_argument("file")
    checking = commands.add_parser("check", help="reconcile (read only; exit 1 on a mismatch)")
    checking.add_argument("--client", help="one client only")
    args = parser.parse_args(argv)
    where = target.resolve(args)
    return {"settle": settle, "ack": acknowledge, "check": check}[args.command](where, args)


if __name__ == "__main__":
    raise SystemExit(run(main))
