"""End-to-end throughput on the local stack: N network authorizations through SQS, the poller and
AuthProcessorFunction, until every one is committed; then the same transactions sent bare.

The stack (tools.local) runs in this process on ephemeral ports, without the webhook receiver.
A generated configuration gives ACCOUNTS MULT cardholders, each with its own pool; every account
gets PER_ACCOUNT purchases and its opening balance covers all but one of them, so 90% redeem.
A feeder thread sends them in batches of 10 while the poller runs (at most 30 waiting); the clock
runs from the start until the queue is empty and a scan counts N AUTH items. Every
TransactWriteItems that moto executed is recorded, and the floor replays exactly those (same
actions, same item sizes) against the same moto server, one after the other, with keys moved
under ``BENCH#`` so every condition still holds.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.e2e [--authorizations 2000] [--all-pollers]
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
from contextlib import contextmanager, nullcontext, redirect_stdout
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
    """Wraps moto's backend: every TransactWriteItems it runs (a copy of its actions) and its time."""

    def __init__(self) -> None:
        self.transactions: list[list[dict[str, Any]]] = []
        self.seconds = 0.0
        self.failed = 0

    @contextmanager
    def installed(self) -> Iterator[None]:
        from moto.dynamodb import models

        backend = models.DynamoDBBackend
        original = backend.transact_write_items
        recorder = self

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
            start = time.perf_counter()
            try:
                result = original(self, transact_items)
            except Exception:
                recorder.failed += 1
                raise
            finally:
                recorder.seconds += time.perf_counter() - start
            recorder.transactions.append(copy.deepcopy(transact_items))
            return result

        setattr(backend, "transact_write_items", transact_write_items)  # noqa: B010
        try:
            yield
        finally:
            setattr(backend, "transact_write_items", original)  # noqa: B010


class Timings:
    """Where the poller thread's time goes: function invocations, and the batch sizes it delivered."""

    def __init__(self, profile: bool = False) -> None:
        self.invoke_seconds = 0.0
        self.batches: Counter[int] = Counter()
        self.profiler = cProfile.Profile() if profile else None

    @contextmanager
    def installed(self, poller_class: Any) -> Iterator[None]:
        original = poller_class.deliver
        timings = self

        def deliver(self: Any, messages: list[dict[str, Any]]) -> None:
            start = time.perf_counter()
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
    """The card network: sends the authorizations in batches of 10, keeping at most BACKLOG waiting.

    moto's SQS scans every message of the queue on each call (send, receive, delete and attributes
    all cost O(queue length): ~450 ms per receive + delete with 2,000 waiting), which real SQS does
    not; a short queue keeps that artifact out of the figure."""

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

    def run(self) -> None:
        try:
            sent = 0
            while sent < len(self.bodies):
                if waiting(self.sqs, self.queue_url)[0] >= self.BACKLOG:
                    time.sleep(0.05)  # each look takes the moto lock
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


def moved(transaction: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same actions on keys under ``BENCH#``: new items for puts, copies for the rest."""
    replay = copy.deepcopy(transaction)
    for entry in replay:
        action = next(iter(entry.values()))
        attributes = action.get("Item") or action["Key"]
        attributes["pk"] = {"S": "BENCH#" + attributes["pk"]["S"]}
    return replay


def prepare_floor(dynamodb: Any, table: str, transactions: list[list[dict[str, Any]]]) -> None:
    """Copies, under ``BENCH#``, of the items the transactions update or check (balance raised)."""
    keys = {
        (action["Key"]["pk"]["S"], action["Key"]["sk"]["S"])
        for transaction in transactions
        for entry in transaction
        for kind, action in entry.items()
        if kind != "Put"
    }
    for pk, sk in keys:
        item = dynamodb.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)["Item"]
        item["pk"] = {"S": "BENCH#" + pk}
        if "balance" in item:
            item["balance"] = {"N": "1000000000"}
        dynamodb.put_item(TableName=table, Item=item)


def run(authorizations: int, all_pollers: bool, item_level: bool, logs: str, profile: bool) -> None:
    from tools import moto_lock
    from tools.local import pollers
    from tools.local.functions import FunctionHost
    from tools.local.stack import LocalStack, StackOptions
    from tools.samtemplate import sqs_consumers

    raw, accounts = configuration(authorizations)
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
        )
        recorder, timings = Recorder(), Timings(profile)
        with LocalStack(options) as stack:
            assert stack.resolver is not None
            sqs, dynamodb = stack.clients["sqs"], stack.clients["dynamodb"]
            queue_url = stack.resolver.queue_url("AuthorizationQueue")
            ledger = stack.tables["LedgerTable"]
            feeder = Feeder(sqs, queue_url, accounts, authorizations)
            copies = moto_lock.item_level_transactions() if item_level else nullcontext()
            with copies, recorder.installed(), timings.installed(pollers.SqsPoller):
                host = FunctionHost(stack.resolver, stack.moto_url)
                start = time.perf_counter()
                feeder.start()
                running: list[pollers.Poller]
                if all_pollers:
                    running = pollers.start_pollers(host, stack.resolver, stack.clients)
                else:
                    running = []
                    for function, queue_id, props in sqs_consumers():
                        if function == "AuthProcessorFunction":
                            auth_poller = pollers.SqsPoller(
                                host, sqs, function, queue_url, stack.resolver.arn(queue_id), props
                            )
                            auth_poller.start()
                            running.append(auth_poller)
                committed = 0
                while True:
                    if feeder.error is not None:
                        raise RuntimeError("the feeder failed") from feeder.error
                    if not feeder.is_alive() and waiting(sqs, queue_url) == (0, 0):
                        committed = authorization_count(dynamodb, ledger)
                        if committed >= authorizations:
                            break
                    time.sleep(0.1)
                end_to_end = time.perf_counter() - start
                for poller in running:
                    poller.stop()
                transactions = list(recorder.transactions)
                prepare_floor(dynamodb, ledger, transactions)
                start = time.perf_counter()
                for transaction in transactions:
                    dynamodb.transact_write_items(TransactItems=moved(transaction))
                floor = time.perf_counter() - start
    report(
        authorizations, feeder.send_seconds, end_to_end, floor, committed, transactions, recorder, timings, item_level
    )


def report(
    authorizations: int,
    sending: float,
    end_to_end: float,
    floor: float,
    committed: int,
    transactions: list[list[dict[str, Any]]],
    recorder: Recorder,
    timings: Timings,
    item_level: bool,
) -> None:
    shapes = Counter(len(t) for t in transactions)
    ratio = end_to_end / floor
    poller_other = end_to_end - timings.invoke_seconds
    print(
        f"end to end ({authorizations} network authorizations, {ACCOUNTS} MULT cardholders, load average "
        f"{os.getloadavg()[0]:.1f}; moto transaction rollback copies: "
        f"{'touched items' if item_level else 'whole table'})"
    )
    print(f"  committed: {committed} AUTH items, {len(transactions)} transactions {dict(sorted(shapes.items()))}")
    print(f"  end to end: {end_to_end:.1f} s = {authorizations / end_to_end:.0f} authorizations/s")
    print(f"  bare TransactWriteItems, same {len(transactions)} transactions, same server: {floor:.1f} s")
    verdict = "met" if ratio <= GOAL else "MISSED"
    print(f"  ratio: {ratio:.2f}x (goal <= {GOAL}) {verdict}")
    print("  where the end-to-end time went (threads overlap; one GIL, one moto lock):")
    print(f"    the feeder's send_message_batch calls (x{-(-authorizations // 10)}), concurrent: {sending:.1f} s")
    print(f"    moto executing the transactions (in its backend): {recorder.seconds:.1f} s")
    batches = dict(sorted(timings.batches.items()))
    print(f"    AuthProcessorFunction invocations incl. delete/visibility calls: {timings.invoke_seconds:.1f} s")
    print(f"      batches delivered {sum(timings.batches.values())}, sizes {batches}")
    print(f"    poller receive/batching window/idle pauses and the wait loop: {poller_other:.1f} s")
    if timings.profiler is not None:
        text = io.StringIO()
        pstats.Stats(timings.profiler, stream=text).sort_stats("cumulative").print_stats(40)
        print(text.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--authorizations", type=int, default=2000)
    parser.add_argument("--all-pollers", action="store_true", help="also run the notifier and webhook pollers")
    parser.add_argument(
        "--whole-table-copies",
        action="store_true",
        help="leave moto's rollback copy of the whole table per transaction action (as `make run` does)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the poller thread's deliveries")
    parser.add_argument("--logs", default=os.devnull, help="where the functions' stdout goes")
    args = parser.parse_args()
    logging.getLogger("tools.local").setLevel(logging.WARNING)
    threading.excepthook = lambda hook: logging.getLogger("bench.e2e").error("thread failed: %s", hook.exc_value)
    run(args.authorizations, args.all_pollers, not args.whole_table_copies, args.logs, args.profile)


if __name__ == "__main__":
    main()
