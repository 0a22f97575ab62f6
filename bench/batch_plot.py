"""Cost and latency of the queue processor against the SQS batch size; writes docs/cost-latency.png.

For each batch size, AuthProcessorFunction is invoked in process on moto (``mock_aws``; warm
container, one distinct MULT cardholder per record, every authorization redeems) and we count, at
botocore, the DynamoDB requests, the write actions and their item sizes, the items read, and the
time spent inside DynamoDB calls. moto's latency is not DynamoDB's, so the latency axis is a model:
the handler's own time (measured duration minus the time inside DynamoDB calls) plus
``requests x an assumed DynamoDB latency`` (below). The measured local duration is shown apart.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.batch_plot [--authorizations 300] [--png docs/cost-latency.png]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections import Counter
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tools.samtemplate import ROOT, function_property

# bench.round_trips sets the benchmark environment (credentials, Powertools quiet) as it is imported.
from bench.round_trips import account_id, cardholders_document

BATCH_SIZES = (1, 5, 10, 25, 50, 100)
FUNCTION = "AuthProcessorFunction"
AMOUNT = Decimal("25.00")
# Assumed DynamoDB request latency as seen from Lambda in the same region (single-digit ms,
# transactions about twice a single-item write). An assumption, not a measurement.
DYNAMODB_MS = {"TransactWriteItems": 10.0}
DYNAMODB_DEFAULT_MS = 5.0
# Unit prices of docs/performance.md (us-east-1).
LAMBDA_GB_SECOND = 0.0000133334  # arm64
LAMBDA_REQUEST = 0.20 / 1e6
WRITE_UNIT = 0.625 / 1e6
READ_UNIT = 0.125 / 1e6
SQS_REQUEST = 0.40 / 1e6
SQS_MAX_RECEIVE = 10  # Lambda's poller receives and deletes at most 10 messages per SQS call
# Per-authorization items that do not depend on the batch size (docs/performance.md): notifier
# Lambda $0.14 + SNS $0.50 + CloudWatch Logs $0.25 per million.
CONSTANT_PER_MILLION = 0.89


@dataclass
class Batch:
    seconds: float = 0.0
    dynamodb_seconds: float = 0.0
    requests: Counter[str] = field(default_factory=Counter)
    write_units: int = 0  # 1 per KB, 2 in a transaction, plus index copies (bench/write_units.py)
    read_units: int = 0


class Meter:
    """botocore hooks on the function's DynamoDB client: requests, units and time inside calls."""

    def __init__(self) -> None:
        self.batch = Batch()
        self._started: dict[str, float] = {}

    def before(self, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.batch.requests[operation] += 1
        self._started[operation] = time.perf_counter()

    def units(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        """The call's parameters as the code passed them (``before-call`` sees the serialized body)."""
        from bench.write_units import index_entry, item_size, units

        operation = event_name.rsplit(".", 1)[-1]
        writes = [(next(iter(e.values())), 2) for e in params.get("TransactItems", [])]
        if operation == "PutItem":
            writes = [(params, 1)]
        for action, factor in writes:  # an update's item is small here (POOL, ACCOUNT): 1 KB
            self.batch.write_units += factor * (units(item_size(action["Item"])) if "Item" in action else 1)
            entry = index_entry(action["Item"]) if "Item" in action else None
            self.batch.write_units += units(item_size(entry)) if entry else 0  # the index copy
        if operation == "BatchGetItem":
            self.batch.read_units += sum(len(request["Keys"]) for request in params.get("RequestItems", {}).values())
        elif operation in ("GetItem", "Query"):
            self.batch.read_units += 1

    def after(self, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.batch.dynamodb_seconds += time.perf_counter() - self._started.pop(operation, time.perf_counter())

    def install(self) -> None:
        from rewards import runtime

        events = runtime.aws_client("dynamodb").meta.events
        events.register("before-parameter-build.dynamodb", self.units, unique_id="bench-plot-units")
        events.register("before-call.dynamodb", self.before, unique_id="bench-plot-before")
        events.register("after-call.dynamodb", self.after, unique_id="bench-plot-after")


def measure(authorizations: int) -> dict[int, list[Batch]]:
    from moto import mock_aws
    from tests.reliability import harness
    from tests.support import invoke, load_config, provision_stack
    from tools import moto_lock

    from rewards import runtime

    results: dict[int, list[Batch]] = {}
    moto_lock.install()
    with mock_aws(), moto_lock.item_level_transactions():
        runtime.reset()
        stack = provision_stack("plot")
        load_config(
            stack,
            text=cardholders_document("00", count=max(BATCH_SIZES), opening_balance="100000000", with_client=True),
        )
        meter = Meter()
        meter.install()
        serial = 0

        def one_batch(size: int) -> Batch:
            nonlocal serial
            bodies = []
            for n in range(size):
                serial += 1
                bodies.append(harness.network_message(account_id("00", n), AMOUNT, f"PLOT{serial:09d}"))
            event = harness.network_event(*bodies)
            meter.batch = Batch()
            start = time.perf_counter()
            response = invoke(FUNCTION, event)
            meter.batch.seconds = time.perf_counter() - start
            if response.get("batchItemFailures"):
                raise RuntimeError(f"batch of {size} reported failures: {response}")
            return meter.batch

        one_batch(max(BATCH_SIZES))  # warm the container: imports, program cache
        for size in BATCH_SIZES:
            runs = max(3, authorizations // size)
            results[size] = [one_batch(size) for _ in range(runs)]
        runtime.reset()
    moto_lock.uninstall()
    return results


@dataclass
class Row:
    size: int
    local_ms: float  # measured, moto in process
    own_ms: float  # measured local duration minus the time inside DynamoDB calls
    modelled_ms: float  # own time + requests x assumed DynamoDB latency
    requests_per_authorization: float
    lambda_cost: float
    dynamodb_cost: float
    sqs_cost: float

    @property
    def total(self) -> float:
        return self.lambda_cost + self.dynamodb_cost + self.sqs_cost + CONSTANT_PER_MILLION


def rows(results: dict[int, list[Batch]]) -> list[Row]:
    memory_gb = int(function_property(FUNCTION, "MemorySize") or 128) / 1024
    table = []
    for size, batches in results.items():
        local = statistics.median(b.seconds for b in batches) * 1000
        own = statistics.median(b.seconds - b.dynamodb_seconds for b in batches) * 1000
        requests = Counter[str]()
        for batch in batches:
            requests.update(batch.requests)
        per_batch = {op: count / len(batches) for op, count in requests.items()}
        dynamodb_ms = sum(count * DYNAMODB_MS.get(op, DYNAMODB_DEFAULT_MS) for op, count in per_batch.items())
        modelled = own + dynamodb_ms
        invocations = 1e6 / size
        lambda_cost = invocations * (LAMBDA_REQUEST + memory_gb * math.ceil(modelled) / 1000 * LAMBDA_GB_SECOND)
        write_units = sum(b.write_units for b in batches) / (len(batches) * size)
        read_units = sum(b.read_units for b in batches) / (len(batches) * size)
        dynamodb_cost = 1e6 * (write_units * WRITE_UNIT + read_units * READ_UNIT)
        sqs_per_authorization = 1 + 2 / min(size, SQS_MAX_RECEIVE)  # send + receive and delete, batched
        table.append(
            Row(
                size=size,
                local_ms=local,
                own_ms=own,
                modelled_ms=modelled,
                requests_per_authorization=sum(per_batch.values()) / size,
                lambda_cost=lambda_cost,
                dynamodb_cost=dynamodb_cost,
                sqs_cost=1e6 * sqs_per_authorization * SQS_REQUEST,
            )
        )
    return table


def plot(table: list[Row], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r.size for r in table]
    figure, (cost, latency) = plt.subplots(1, 2, figsize=(12, 4.8))
    cost.plot(sizes, [r.total for r in table], "o-", label="total (incl. $0.89 notifier, SNS, logs)")
    cost.plot(sizes, [r.dynamodb_cost for r in table], "s--", label="DynamoDB")
    cost.plot(sizes, [r.sqs_cost for r in table], "^--", label="SQS")
    cost.plot(sizes, [r.lambda_cost for r in table], "v--", label="Lambda (processor)")
    cost.set(xscale="log", xlabel="SQS batch size", ylabel="USD per million authorizations", ylim=(0, None))
    cost.set_title("Cost per million queued authorizations (all redeem, MULT)")
    cost.axhline(10, color="grey", linewidth=0.8, linestyle=":")
    cost.legend(fontsize=8)
    latency.plot(sizes, [r.modelled_ms for r in table], "o-", label="modelled: own time + requests x DynamoDB ms")
    latency.plot(sizes, [r.local_ms for r in table], "x:", label="measured locally (moto in process, not DynamoDB)")
    latency.plot(sizes, [r.own_ms for r in table], "d--", label="handler's own time (measured)")
    latency.set(xscale="log", yscale="log", xlabel="SQS batch size", ylabel="ms per batch invocation")
    latency.set_title("Batch processing duration")
    latency.legend(fontsize=8)
    for axis in (cost, latency):
        axis.set_xticks(sizes, [str(s) for s in sizes])
        axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(png, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--authorizations", type=int, default=300, help="about this many per batch size")
    parser.add_argument("--png", type=Path, default=ROOT / "docs" / "cost-latency.png")
    args = parser.parse_args()
    with open(os.devnull, "w") as function_output, redirect_stdout(function_output):  # the functions' JSON logs
        table = rows(measure(args.authorizations))
    print(
        f"queue processor against SQS batch size (warm, median; DynamoDB latency assumed {DYNAMODB_DEFAULT_MS:.0f} ms "
        f"per request, {DYNAMODB_MS['TransactWriteItems']:.0f} ms per TransactWriteItems; load average "
        f"{os.getloadavg()[0]:.1f})"
    )
    print(
        f"  {'batch':>5s} {'local ms':>9s} {'own ms':>7s} {'model ms':>9s} {'ms/auth':>8s} {'req/auth':>8s}"
        f" {'Lambda $':>9s} {'DynamoDB $':>10s} {'SQS $':>6s} {'total $/M':>10s}"
    )
    for r in table:
        print(
            f"  {r.size:5d} {r.local_ms:9.1f} {r.own_ms:7.1f} {r.modelled_ms:9.1f} {r.modelled_ms / r.size:8.1f}"
            f" {r.requests_per_authorization:8.2f} {r.lambda_cost:9.2f} {r.dynamodb_cost:10.2f} {r.sqs_cost:6.2f}"
            f" {r.total:10.2f}"
        )
    plot(table, args.png)
    print(f"  plot: {args.png.relative_to(ROOT) if args.png.is_relative_to(ROOT) else args.png}")


if __name__ == "__main__":
    main()
