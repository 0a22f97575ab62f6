"""End-to-end throughput on the local stack: N network authorizations through SQS, the poller and
AuthProcessorFunction, until every one is committed; then the same transactions sent bare.

The stack (tools.local) runs on ephemeral ports, without the webhook receiver: moto in its own
process, the poller and the functions in this one. A generated configuration gives ACCOUNTS MULT
cardholders, each with its own pool; every account gets PER_ACCOUNT purchases and its opening
balance covers all but one of them, so 90% redeem. A feeder thread sends them in batches of 10
while the poller runs (at most 30 waiting); the clock runs from the start until the queue is empty
and a scan counts N AUTH items. Every TransactWriteItems that succeeded is recorded (a botocore
hook on the default session, which the functions' clients come from), and the floor replays
exactly those (same actions, same item sizes) against the same moto server at the stack's
concurrency (as many threads as batches run at once), with keys moved under ``BENCH#`` so every
condition still holds. The same replay one after the other is printed beside it.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.e2e [--authorizations 2000] [--concurrency 5]
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import logging
import os
import pstats
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from tools.samtemplate import ROOT

GOAL = 1.5
ACCOUNTS = 200
AMOUNT = Decimal("25.00")  # 2,500 points at the bench program's 1 point per cent
PROGRAM_ID = "PWRREL"
DEMO_CONFIG = ROOT / "config" / "demo.yaml"


def configuration(authorizations: int) -> tuple[dict[str, Any], list[str]]:
    """The demo document plus the bench program and ACCOUNTS cardholders (each its own pool)."""
    from tests.reliability import harness

    per_account = -(-authorizations // ACCOUNTS)
    opening = (per_account - 1) * harness.points_for(AMOUNT)  # all but the last purchase redeem
    raw = yaml.safe_load(DEMO_CONFIG.read_text())
    raw["programs"].append(harness.program())
    for client in raw["clients"]:
        if client["clientId"] == "demo-issuer":
            client["programIds"].append(PROGRAM_ID)
    accounts = [f"RANACBENCH{n:04d}" for n in range(ACCOUNTS)]
    raw["users"] += [
        {
            "userId": f"bench{n:04d}",
            "accounts": [
                {
                    "accountId": account,
                    "cardNumber": f"57{n:014d}",
                    "programId": PROGRAM_ID,
                    "openingBalance": str(opening),
                    "preferences": {"redemptionFrequency": "MULT"},
                }
            ],
        }
        for n, account in enumerate(accounts)
    ]
    return raw, accounts


class Recorder:
    """Every TransactWriteItems that succeeds (a copy of its actions) and its round-trip time.

    Hooks on boto3's default session, registered before any client is made: the stack's clients
    and the functions' clients (``rewards.runtime.aws_client``) all copy its event handlers."""

    def __init__(self) -> None:
        self.transactions: list[list[dict[str, Any]]] = []
        self.seconds = 0.0
        self.failed = 0
        self.recording = False

    def register(self) -> None:
        import boto3

        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        events = boto3.DEFAULT_SESSION.events
        events.register("provide-client-params.dynamodb.TransactWriteItems", self._sending)
        events.register("after-call.dynamodb.TransactWriteItems", self._answered)

    def _sending(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.recording:
            context["bench"] = (copy.deepcopy(params["TransactItems"]), time.perf_counter())

    def _answered(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if "bench" not in context:
            return
        transaction, start = context.pop("bench")
        self.seconds += time.perf_counter() - start
        if http_response.status_code == 200:
            self.transactions.append(transaction)
        else:
            self.failed += 1


class Timings:
    """Where the poller threads' time goes: function invocations, and the batch sizes delivered.
    ``on_batch(size)`` hears of each AuthProcessorFunction batch as it starts (the feeder's backlog)."""

    def __init__(self, on_batch: Any, profile: bool = False) -> None:
        self.on_batch = on_batch
        self.invoke_seconds = 0.0
        self.batches: Counter[int] = Counter()
        self.profiler = cProfile.Profile() if profile else None

    @contextmanager
    def installed(self, poller_class: Any) -> Iterator[None]:
        original = poller_class.deliver
        timings = self

        def deliver(self: Any, messages: list[dict[str, Any]]) -> None:
            start = time.perf_counter()
            if self.function == "AuthProcessorFunction":
                timings.on_batch(len(messages))
            profiler = timings.profiler if self.function == "AuthProcessorFunction" else None
            if profiler is not None:
                profiler.enable()
            try:
                original(self, messages)
            finally:
                if profiler is not None:
                    profiler.disable()
                if self.function == "AuthProcessorFunction":
                    timings.invoke_seconds += time.perf_counter() - start
                    timings.batches[len(messages)] += 1

        setattr(poller_class, "deliver", deliver)  # noqa: B010
        try:
            yield
        finally:
            setattr(poller_class, "deliver", original)  # noqa: B010


class Feeder(threading.Thread):
    """The card network: sends the authorizations in batches of 10, keeping at most BACKLOG waiting
    (sent, not yet in a batch: it counts the batches as the pollers start them, without asking SQS).

    moto's SQS scans every message of the queue on several calls (send, receive, delete and
    attributes cost O(queue length): ~450 ms per receive + delete with 2,000 waiting), which real
    SQS does not; a short queue keeps that artifact out of the figure."""

    BACKLOG = 30

    def __init__(self, sqs: Any, queue_url: str, accounts: list[str], count: int) -> None:
        super().__init__(name="bench-feeder", daemon=True)
        from tests.reliability import harness

        self.sqs, self.queue_url = sqs, queue_url
        self.bodies = [
            harness.network_message(accounts[n % len(accounts)], AMOUNT, f"E2E{n:08d}") for n in range(count)
        ]
        self.send_seconds = 0.0
        self.error: BaseException | None = None
        self._taken = 0  # messages the pollers have put in batches
        self._changed = threading.Condition()

    def taken(self, count: int) -> None:
        with self._changed:
            self._taken += count
            self._changed.notify()

    def run(self) -> None:
        try:
            sent = 0
            while sent < len(self.bodies):
                with self._changed:
                    if sent - self._taken >= self.BACKLOG:
                        self._changed.wait(timeout=1)
                        continue
                batch = self.bodies[sent : sent + 10]
                start = time.perf_counter()
                entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)]
                response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
                self.send_seconds += time.perf_counter() - start
                if response.get("Failed"):
                    raise RuntimeError(f"send failed: {response['Failed']}")
                sent += len(batch)
        except BaseException as error:
            self.error = error
            raise


def waiting(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


def authorization_count(dynamodb: Any, table: str) -> int:
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table, FilterExpression="sk = :sk", ExpressionAttributeValues={":sk": {"S": "AUTH"}}, Select="COUNT"
    )
    return sum(page["Count"] for page in pages)


def moved(transaction: list[dict[str, Any]], prefix: str = "BENCH#") -> list[dict[str, Any]]:
    """The same actions on keys under ``prefix``: new items for puts, copies for the rest."""
    actions = copy.deepcopy(transaction)
    for entry in actions:
        action = next(iter(entry.values()))
        attributes = action.get("Item") or action["Key"]
        attributes["pk"] = {"S": prefix + attributes["pk"]["S"]}
    return actions


def replay(dynamodb: Any, transactions: list[list[dict[str, Any]]], threads: int, prefix: str = "BENCH#") -> None:
    """The transactions, bare, from ``threads`` threads at once. A pool's transactions stay in their
    order on one thread (each is conditioned on what the one before it left), as a pool's records do
    in the stack; the pools are dealt to the threads in turn."""

    def send(share: list[list[dict[str, Any]]]) -> None:
        for transaction in share:
            dynamodb.transact_write_items(TransactItems=moved(transaction, prefix))

    by_pool: dict[str, list[list[dict[str, Any]]]] = {}
    for transaction in transactions:
        by_pool.setdefault(pool_of(transaction), []).append(transaction)
    shares: list[list[list[dict[str, Any]]]] = [[] for _ in range(threads)]
    for n, pool_transactions in enumerate(by_pool.values()):  # a pool's debits from the highest balance seen down
        shares[n % threads].extend(sorted(pool_transactions, key=lambda t: -balance_seen(t)))
    if threads == 1:
        send(shares[0])
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for done in [pool.submit(send, share) for share in shares]:
            done.result()


def balance_seen(transaction: list[dict[str, Any]]) -> Decimal:
    """The balance a transaction's pool update is conditioned on (``balance = :seen``); 0 without one."""
    for entry in transaction:
        seen = entry.get("Update", {}).get("ExpressionAttributeValues", {}).get(":seen")
        if seen is not None:
            return Decimal(seen["N"])
    return Decimal(0)


def pool_of(transaction: list[dict[str, Any]]) -> str:
    """The key of the pool a transaction moves (its POOL update), or its first item's."""
    for entry in transaction:
        for kind, action in entry.items():
            key = action.get("Key") or action.get("Item") or {}
            if kind == "Update" and key.get("sk", {}).get("S") == "POOL":
                return str(key["pk"]["S"])
    first = next(iter(transaction[0].values()))
    return str((first.get("Key") or first.get("Item"))["pk"]["S"])


def prepare_floor(dynamodb: Any, table: str, transactions: list[list[dict[str, Any]]], prefix: str = "BENCH#") -> None:
    """Copies, under ``prefix``, of the items the transactions update or check; a pool's copy holds the
    highest balance its transactions saw (where the run started), so each ``balance = :seen`` holds."""
    opening: dict[str, Decimal] = {}
    for transaction in transactions:
        opening[pool_of(transaction)] = max(opening.get(pool_of(transaction), Decimal(0)), balance_seen(transaction))
    keys = {
        (action["Key"]["pk"]["S"], action["Key"]["sk"]["S"])
        for transaction in transactions
        for entry in transaction
        for kind, action in entry.items()
        if kind != "Put"
    }
    for pk, sk in keys:
        item = dynamodb.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)["Item"]
        item["pk"] = {"S": prefix + pk}
        if "balance" in item and pk in opening:
            item["balance"] = {"N": str(opening[pk])}
        dynamodb.put_item(TableName=table, Item=item)


def start_pollers(stack: Any, concurrency: int, all_pollers: bool) -> list[Any]:
    """The authorization queue's poller (``concurrency`` workers), or every poller of the template."""
    from tools.local import pollers
    from tools.samtemplate import sqs_consumers

    if all_pollers:
        return pollers.start_pollers(stack.functions, stack.resolver, stack.clients, concurrency)
    running: list[Any] = []
    for function, queue_id, props in sqs_consumers():
        if function == "AuthProcessorFunction":
            url, arn = stack.resolver.queue_url(queue_id), stack.resolver.arn(queue_id)
            workers = pollers.sqs_concurrency(props, concurrency)
            poller = pollers.SqsPoller(stack.functions, stack.clients["sqs"], function, url, arn, props, workers)
            poller.start()
            running.append(poller)
    return running


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_committed(feeder: Feeder, sqs: Any, dynamodb: Any, ledger: str, authorizations: int) -> int:
    """Once everything is sent and the queue is empty: the AUTH items, as soon as all are there."""
    while True:
        if feeder.error is not None:
            raise RuntimeError("the feeder failed") from feeder.error
        if not feeder.is_alive() and waiting(sqs, feeder.queue_url) == (0, 0):
            committed = authorization_count(dynamodb, ledger)
            if committed >= authorizations:
                return committed
        time.sleep(0.1)


def run(authorizations: int, concurrency: int, all_pollers: bool, item_level: bool, logs: str, profile: bool) -> None:
    from tools.local import pollers
    from tools.local.stack import LocalStack, StackOptions

    raw, accounts = configuration(authorizations)
    recorder = Recorder()
    recorder.register()
    # The functions' JSON logs and metrics (Powertools writes them to stdout) go to a file: written, not shown.
    function_output = open(logs, "w")  # noqa: SIM115 - kept open: the loggers hold it until exit
    with tempfile.TemporaryDirectory() as state, redirect_stdout(function_output):
        config = Path(state) / "bench.yaml"
        config.write_text(json.dumps(raw))
        options = StackOptions(
            port=0,
            moto_port=0,
            webhook_port=None,
            prefix=f"bench-{uuid.uuid4().hex[:6]}",
            state_dir=Path(state),
            config=config,
            pollers=False,
            sqs_concurrency=concurrency,
            item_level_transactions=item_level,
        )
        with LocalStack(options) as stack:
            assert stack.resolver is not None and stack.functions is not None
            host = stack.functions
            sqs, dynamodb = stack.clients["sqs"], stack.clients["dynamodb"]
            queue_url = stack.resolver.queue_url("AuthorizationQueue")
            ledger = stack.tables["LedgerTable"]
            feeder = Feeder(sqs, queue_url, accounts, authorizations)
            timings = Timings(feeder.taken, profile)
            with timings.installed(pollers.SqsPoller):
                assert stack.moto is not None
                moto_pid = stack.moto.pid
                recorder.recording = True
                cpu_before = (time.process_time(), cpu_seconds(moto_pid))
                start = time.perf_counter()
                feeder.start()
                running = start_pollers(stack, concurrency, all_pollers)
                committed = wait_until_committed(feeder, sqs, dynamodb, ledger, authorizations)
                end_to_end = time.perf_counter() - start
                cpu = (time.process_time() - cpu_before[0], cpu_seconds(moto_pid) - cpu_before[1])
                recorder.recording = False
                for poller in running:
                    poller.stop()
                transactions = list(recorder.transactions)
                prepare_floor(dynamodb, ledger, transactions)
                prepare_floor(dynamodb, ledger, transactions, prefix="BENCHSEQ#")  # its own copies, same start
                floor_before = (time.process_time(), cpu_seconds(moto_pid))
                start = time.perf_counter()
                replay(dynamodb, transactions, concurrency)
                floor = time.perf_counter() - start
                floor_cpu = (time.process_time() - floor_before[0], cpu_seconds(moto_pid) - floor_before[1])
                start = time.perf_counter()
                replay(dynamodb, transactions, 1, prefix="BENCHSEQ#")
                sequential = time.perf_counter() - start
            containers = host.containers("AuthProcessorFunction")
    report(
        Figures(
            authorizations,
            feeder.send_seconds,
            end_to_end,
            floor,
            sequential,
            concurrency,
            committed,
            containers,
            item_level,
            cpu,
            floor_cpu,
        ),
        transactions,
        recorder,
        timings,
    )


@dataclass
class Figures:
    authorizations: int
    sending: float
    end_to_end: float
    floor: float  # the same transactions, bare, at the stack's concurrency
    sequential: float  # the same, one after the other
    concurrency: int
    committed: int
    containers: int
    item_level: bool
    cpu: tuple[float, float]  # CPU seconds during the end-to-end run: (this process, the moto process)
    floor_cpu: tuple[float, float]  # the same during the floor


def report(figures: Figures, transactions: list[list[dict[str, Any]]], recorder: Recorder, timings: Timings) -> None:
    shapes = Counter(len(t) for t in transactions)
    count, end_to_end, floor = figures.authorizations, figures.end_to_end, figures.floor
    ratio = end_to_end / floor
    print(
        f"end to end ({count} network authorizations, {ACCOUNTS} MULT cardholders, load average "
        f"{os.getloadavg()[0]:.1f}; moto transaction rollback copies: "
        f"{'touched items' if figures.item_level else 'whole table'})"
    )
    print(
        f"  committed: {figures.committed} AUTH items, {len(transactions)} transactions {dict(sorted(shapes.items()))}"
    )
    print(f"  end to end: {end_to_end:.1f} s = {count / end_to_end:.0f} authorizations/s")
    print(
        f"  bare TransactWriteItems, same {len(transactions)} transactions and server, {figures.concurrency} at once: "
        f"{floor:.1f} s (one after the other: {figures.sequential:.1f} s)"
    )
    verdict = "met" if ratio <= GOAL else "MISSED"
    print(f"  ratio to the bare transactions at the same concurrency: {ratio:.2f}x (goal <= {GOAL}) {verdict}")
    print(f"  ratio to them one after the other: {end_to_end / figures.sequential:.2f}x")
    print(
        f"  CPU seconds (this process: feeder, pollers, functions / the moto process): end to end "
        f"{figures.cpu[0]:.1f} / {figures.cpu[1]:.1f}, floor {figures.floor_cpu[0]:.1f} / {figures.floor_cpu[1]:.1f}"
    )
    print("  where the end-to-end time went (summed over threads, which overlap; moto in its own process):")
    print(f"    the feeder's send_message_batch calls (x{-(-count // 10)}): {figures.sending:.1f} s")
    print(f"    the functions' TransactWriteItems round trips: {recorder.seconds:.1f} s ({recorder.failed} cancelled)")
    batches = dict(sorted(timings.batches.items()))
    print(f"    AuthProcessorFunction deliveries incl. delete/visibility calls: {timings.invoke_seconds:.1f} s")
    print(f"      batches delivered {sum(timings.batches.values())}, sizes {batches}; containers {figures.containers}")
    if timings.profiler is not None:
        text = io.StringIO()
        pstats.Stats(timings.profiler, stream=text).sort_stats("cumulative").print_stats(40)
        print(text.getvalue())


def main() -> None:
    from tools.local.pollers import SQS_CONCURRENCY

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--authorizations", type=int, default=2000)
    parser.add_argument(
        "--concurrency", type=int, default=SQS_CONCURRENCY, help="concurrent batches (default %(default)s)"
    )
    parser.add_argument("--all-pollers", action="store_true", help="also run the notifier and webhook pollers")
    parser.add_argument(
        "--whole-table-copies",
        action="store_true",
        help="leave moto's rollback copy of the whole table per transaction action (as `make run` does)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the poller threads' deliveries")
    parser.add_argument("--logs", default=os.devnull, help="where the functions' stdout goes")
    args = parser.parse_args()
    logging.getLogger("tools.local").setLevel(logging.WARNING)
    threading.excepthook = lambda hook: logging.getLogger("bench.e2e").error("thread failed: %s", hook.exc_value)
    run(args.authorizations, args.concurrency, args.all_pollers, not args.whole_table_copies, args.logs, args.profile)


if __name__ == "__main__":
    main()
