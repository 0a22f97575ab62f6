"""Settlement at scale: the time and peak memory to settle one issuer's day of N rebates into one
file (claims, streaming multipart upload, manifest) on in-process moto, and how a day's writes
spread over the 16 shard keys at 1,000 redemptions a second.

moto's time grows with the table (it scans for every index query), DynamoDB's does not: the time
is the shape on this machine, not Lambda's. The memory is how far the process's peak resident set
grew during the settlement (moto's copies of the items and of the uploaded parts included, so an
upper bound), against Lambda's 1,024 MB of SettlementFunction. tracemalloc is not used: it slows
moto tenfold.

``--synthetic`` measures the file itself at any size (1 million lines by default): the real use
case, render and multipart streaming (``S3SettlementBucket``), with the storage replaced by a store
that generates the day's instructions as it is read and an S3 client that keeps only each part's
size. Its time is the use case's own work, without DynamoDB's or S3's round trips; its memory is
what a Lambda process would hold, as the parts are not kept.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.settlement [--lines 100000]
    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.settlement --synthetic [--lines 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import bench.round_trips  # noqa: F401 - sets the benchmark environment (credentials, Powertools quiet)

DAY = date(2026, 11, 20)
RATE = 1_000  # redemptions a second, one issuer
PARTITION_LIMIT = 1_000  # WCU a second per partition key (DynamoDB)


def shard_spread(seconds: int = 60) -> None:
    """Writes per second per gsi2 key for RATE redemptions a second over ``seconds``."""
    from rewards.rules.rebates import SHARDS, shard_of

    counts = Counter(shard_of(f"PWR-{1_000_000_000 + n}") for n in range(RATE * seconds))
    per_second = [counts[s] / seconds for s in range(SHARDS)]
    print(
        f"shards: {RATE} rebates/s over {SHARDS} keys: {min(per_second):.0f}-{max(per_second):.0f} writes/s per key "
        f"(mean {RATE / SHARDS:.1f}); limit {PARTITION_LIMIT}/s per key: "
        f"{'met' if max(per_second) < PARTITION_LIMIT else 'NOT met'}"
    )


def seed(table: str, client: object, lines: int) -> None:
    from boto3.dynamodb.types import TypeSerializer

    from rewards.adapters.rebate_items import rebate_item
    from rewards.settlement.records import RebateInstruction

    serialize = TypeSerializer().serialize
    batch = []
    for n in range(lines):
        rebate = RebateInstruction(
            f"PWR-{1_000_000_000 + n}", "PWR", str(1_000_000_000 + n), "demo-issuer", "PWRDEMO",
            f"RANAC{n % 5000:09d}", None, Decimal(2000), Decimal("20.00"), "USD", DAY, "2026-11-20T12:00:00Z",
        )  # fmt: skip
        batch.append({"PutRequest": {"Item": {k: serialize(v) for k, v in rebate_item(rebate).items()}}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})  # type: ignore[attr-defined]
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})  # type: ignore[attr-defined]


def resident_bytes() -> int:
    """The process's resident set now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_resident_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int)
    parser.add_argument("--synthetic", action="store_true", help="generated store, S3 sink (see above)")
    args = parser.parse_args()
    if args.synthetic:
        from bench.settlement_synthetic import run

        run(args.lines or 1_000_000)
        return
    lines = args.lines or 100_000

    from moto import mock_aws
    from tests.support import load_config, provision_stack
    from tools import moto_lock

    from rewards import runtime

    moto_lock.install()  # the claims run 16 at a time: moto must apply them one by one
    print(
        f"settlement bench {datetime.now(UTC).isoformat(timespec='seconds')}: load average "
        f"{os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, {lines} rebates in one day's file"
    )
    shard_spread()
    with mock_aws(), moto_lock.item_level_transactions():
        runtime.reset()
        stack = provision_stack("bench")
        load_config(stack)
        started = time.perf_counter()
        seed(stack.ledger_table, stack.client("dynamodb"), lines)
        print(f"seeded {lines} PENDING instructions in {time.perf_counter() - started:.1f} s")
        service = runtime.settlement_service()
        service.clock = lambda: datetime(2026, 11, 21, 0, 15, tzinfo=UTC)
        before = resident_bytes()
        started = time.perf_counter()
        result = service.settle("demo-issuer", DAY)
        elapsed = time.perf_counter() - started
        growth = peak_resident_bytes() - before
        size = stack.client("s3").head_object(Bucket=stack.buckets["SettlementBucket"], Key=result.file.object_key)
        print(
            f"settled {result.file.lines} lines ({size['ContentLength'] / 1e6:.1f} MB, totals {result.file.totals}) "
            f"in {elapsed:.1f} s ({result.file.lines / elapsed:.0f} lines/s); "
            f"peak resident set grew {growth / 1e6:.0f} MB"
        )
        started = time.perf_counter()
        again = service.settle("demo-issuer", DAY)
        print(f"rerun: identical={again.file.sha256 == result.file.sha256} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
