"""Soak: 5,000 Digital Redemptions and 5,000 queued authorizations through the stack `make run` starts.

The stack is tools.local's, with make run's options (item-level transactions, every poller, the
webhook receiver), on free ports of 127.0.0.1. Clients sign every request and send it on a new
connection, up to CONNECTIONS at once, so the gateway's listen backlog is tested as well. Printed
per thousand requests: p50 and p99 latency and the moto process's resident memory; at the end its
peak (VmHWM), connection resets, answers other than 200, and authorizations accepted but never
processed (lost). Bounded: fixed counts, a deadline for the drain, and it stops by itself.

    .venv/bin/python -m bench.soak [--redemptions 5000] [--authorizations 5000] [--connections 100]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tools.samtemplate import ROOT

ACCOUNTS = 100
DEMO_CLIENT_ID = "demo-issuer"  # the local key's default client signs every request
OPENING = 1_000_000
BLOCK = 1_000
DRAIN_SECONDS = 900
BACKLOG = 300  # queued authorizations not yet received: moto's SQS costs O(queue length) per call
GOALS = {"peak RSS MB": 1024, "resets": 0, "lost": 0, "flat": 1.5}
RESETS = (ConnectionResetError, ConnectionRefusedError, BrokenPipeError, http.client.RemoteDisconnected)


def configuration() -> dict[str, Any]:
    """The demo document plus ACCOUNTS cardholders, each with a pool of its own, PWR on."""
    raw: dict[str, Any] = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    raw["users"] += [
        {
            "userId": f"soak{n:04d}",
            "accounts": [
                {
                    "accountId": f"RANACSOAK{n:04d}",
                    "cardNumber": f"58{n:014d}",
                    "programId": "PWRDEMO",
                    "openingBalance": OPENING,
                    "preferences": {"redemptionFrequency": "MULT"},
                }
            ],
        }
        for n in range(ACCOUNTS)
    ]
    return raw


def redemption(n: int) -> dict[str, Any]:
    return {
        "redemptionType": "MERCHANDISE",
        "userId": f"RANACSOAK{n % ACCOUNTS:04d}",
        "userIdType": "RANAC",
        "externalId": f"SOAKRED{n:07d}",
        "items": [{"paymentOption": "POINTS_ONLY", "cashEquivalent": "1", "redemptionItemId": "19068"}],
    }


def authorization(n: int) -> dict[str, Any]:
    from tools.make_events import PURCHASE

    return {
        **PURCHASE,
        "accountId": f"RANACSOAK{n % ACCOUNTS:04d}",
        "accountIdType": "RANAC",
        "cardholderBillingAmount": "25.00",
        "merchantCountry": "USA",
        "transactionDateAndTime": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "externalId": f"SOAKAUTH{n:07d}",
        "queueTransaction": "Y",
    }


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, in completion order
    rss_at_block: list[int] = field(default_factory=list)  # moto RSS (kB) as each thousand completed
    resets: int = 0
    refused: dict[int, int] = field(default_factory=dict)  # status -> count, other than 200
    accepted: int = 0


class Rss(threading.Thread):
    """The moto process's resident memory, sampled twice a second."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="rss", daemon=True)
        self.pid, self.latest, self.stopping = pid, 0, threading.Event()

    def read(self, field_name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        return 0

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.latest = self.read("VmRSS")


class Client:
    def __init__(self, stack: Any) -> None:
        from tools.local.signing import load_private_key

        self.host, self.port = stack.url.removeprefix("http://").split(":")
        self.base = stack.url
        self.key = load_private_key(stack.private_key)

    def post(self, path: str, body: dict[str, Any]) -> int:
        from tools.local.keys import CONSUMER_KEY
        from tools.local.signing import authorization_header

        text = json.dumps(body)
        headers = {
            "content-type": "application/json",
            "authorization": authorization_header("POST", self.base + path, text, CONSUMER_KEY, self.key),
        }
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=120)  # a new one each time
        try:
            connection.request("POST", path, body=text, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


def push(client: Client, phase: Phase, rss: Rss, requests: list[tuple[str, dict[str, Any]]], pause: Any) -> None:
    lock = threading.Lock()

    def one(request: tuple[str, dict[str, Any]]) -> None:
        pause()
        start = time.perf_counter()
        try:
            status = client.post(*request)
        except RESETS:
            with lock:
                phase.resets += 1
            return
        elapsed = time.perf_counter() - start
        with lock:
            phase.latencies.append(elapsed)
            if status == 200:
                phase.accepted += 1
            else:
                phase.refused[status] = phase.refused.get(status, 0) + 1
            if len(phase.latencies) % BLOCK == 0:
                phase.rss_at_block.append(rss.latest)

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        list(pool.map(one, requests))


def unprocessed(stack: Any, external_ids: list[str]) -> list[str]:
    """The external ids with no committed authorization, each read by its business key through the
    ledger adapter (a scan of the grown table would cost moto more memory than the soak itself)."""
    from rewards.adapters.dynamo import Table
    from rewards.adapters.dynamo_ledger import DynamoLedger
    from rewards.records import Origin

    ledger = DynamoLedger(Table(stack.client("dynamodb"), stack.tables["LedgerTable"]))
    origin = Origin("CLIENT", DEMO_CLIENT_ID)
    return [e for e in external_ids if ledger.authorization_for_key(origin.business_key(e)) is None]


def backlog_pause(stack: Any) -> Any:
    """Holds the senders while BACKLOG messages wait (checked every 100 sends)."""
    sqs, url = stack.client("sqs"), stack.queues["AuthorizationQueue"]
    sent, lock = [0], threading.Lock()

    def pause() -> None:
        with lock:
            sent[0] += 1
            check = sent[0] % 100 == 0
        while check:
            waiting = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            if int(waiting["Attributes"]["ApproximateNumberOfMessages"]) < BACKLOG:
                return
            time.sleep(0.5)

    return pause


def report(phases: list[Phase], peak_kb: int, lost: int, drained: float, wall: float) -> None:
    def ms(values: list[float], q: float) -> str:
        return f"{statistics.quantiles(values, n=100)[int(q) - 1] * 1000:.0f}" if len(values) > 1 else "-"

    print(f"{'phase':<15}{'requests':>12}{'p50 ms':>9}{'p99 ms':>9}{'moto RSS MB':>13}")
    flat = []
    for phase in phases:
        blocks = [phase.latencies[i : i + BLOCK] for i in range(0, len(phase.latencies), BLOCK)]
        for index, block in enumerate(blocks):
            rss = phase.rss_at_block[index] / 1024 if index < len(phase.rss_at_block) else float("nan")
            span = f"{index * BLOCK + 1}-{index * BLOCK + len(block)}"
            print(f"{phase.name:<15}{span:>12}{ms(block, 50):>9}{ms(block, 99):>9}{rss:>13.0f}")
        if len(blocks) > 1:
            flat.append(statistics.median(blocks[-1]) / statistics.median(blocks[0]))
    resets = sum(p.resets for p in phases)
    refused = {p.name: p.refused for p in phases if p.refused}
    worst = max(flat, default=float("nan"))
    peak = peak_kb / 1024

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"moto peak RSS (VmHWM): {peak:.0f} MB (goal < {GOALS['peak RSS MB']} MB: {verdict(peak < 1024)})")
    print(
        f"last thousand's p50 / first thousand's p50, worst phase: {worst:.2f}x (goal <= 1.5x: {verdict(worst <= 1.5)})"
    )
    print(f"connection resets: {resets} (goal 0: {verdict(resets == 0)})")
    print(f"answers other than 200: {refused or 'none'}")
    print(
        f"lost authorizations (accepted; not processed, queued or dead-lettered): {lost} (goal 0: {verdict(lost == 0)})"
    )
    print(f"queue drained {drained:.0f} s after the last authorization was accepted; whole run {wall:.0f} s")


def queue_depths(stack: Any) -> dict[str, int]:
    """Messages visible or in flight, per authorization queue."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    depths = {}
    for queue in ("AuthorizationQueue", "AuthorizationDeadLetterQueue"):
        found = stack.client("sqs").get_queue_attributes(QueueUrl=stack.queues[queue], AttributeNames=names)
        depths[queue] = sum(int(found["Attributes"][name]) for name in names)
    return depths


def run(redemptions: int, authorizations: int) -> tuple[list[Phase], int, int, float, dict[str, int]]:
    """(phases, moto's peak RSS in kB, lost authorizations, drain seconds, queue depths), on a stack of its own."""
    from tools.local.functions import shared_environment
    from tools.local.stack import LocalStack, StackOptions
    from tools.samtemplate import Resolver

    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        config = Path(scratch) / "soak.yaml"
        config.write_text(yaml.safe_dump(configuration()))
        prefix = f"soak-{uuid.uuid4().hex[:6]}"
        for name, value in shared_environment(Resolver(prefix=prefix)).items():
            os.environ.setdefault(name, value)
        options = StackOptions(
            port=0, moto_port=0, webhook_port=0, prefix=prefix, config=config, state_dir=Path(scratch)
        )
        with LocalStack(options) as stack:
            assert stack.moto is not None and stack.moto.pid is not None
            rss = Rss(stack.moto.pid)
            rss.start()
            client = Client(stack)
            phases = Phase("redemptions"), Phase("authorizations")
            push(client, phases[0], rss, [("/redemptions", redemption(n)) for n in range(redemptions)], lambda: None)
            queued = [("/authorizations", authorization(n)) for n in range(authorizations)]
            push(client, phases[1], rss, queued, backlog_pause(stack))
            accepted_at = time.monotonic()
            external_ids = [body["externalId"] for _, body in queued]
            while True:
                external_ids = unprocessed(stack, external_ids)
                processed, depths = len(queued) - len(external_ids), queue_depths(stack)
                settled = processed + depths["AuthorizationDeadLetterQueue"] >= phases[1].accepted
                if settled or time.monotonic() - accepted_at > DRAIN_SECONDS:
                    break
                print(f"draining: {processed} of {phases[1].accepted} processed", file=sys.stderr, flush=True)
                time.sleep(2)
            rss.stopping.set()
            lost = phases[1].accepted - processed - sum(depths.values())
            if lost:
                print(f"not processed: {external_ids}", file=sys.stderr)
            return list(phases), rss.read("VmHWM"), lost, time.monotonic() - accepted_at, depths


CONNECTIONS = 100


def main() -> int:
    global CONNECTIONS  # noqa: PLW0603 - one knob for the pool size
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redemptions", type=int, default=5000)
    parser.add_argument("--authorizations", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--logs", default=os.devnull, help="where the functions' JSON logs go (default: nowhere)")
    parser.add_argument("--trace", help="a file for one JSON line per SQS batch the local pollers deliver")
    args = parser.parse_args()
    if args.trace:
        from tools.local.pollers import TRACE_VARIABLE

        os.environ[TRACE_VARIABLE] = os.path.abspath(args.trace)
    CONNECTIONS = args.connections
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)  # 100 invocations share 10-connection pools
    started = time.monotonic()
    print(
        f"soak {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}: load average "
        f"{os.getloadavg()[0]:.2f} at start, {os.cpu_count()} CPUs; {args.redemptions} redemptions, "
        f"{args.authorizations} queued authorizations, {CONNECTIONS} connections at once",
        flush=True,
    )
    with open(args.logs, "w") as functions_output, redirect_stdout(functions_output):  # the functions' JSON logs
        phases, peak, lost, drained, depths = run(args.redemptions, args.authorizations)
    report(phases, peak, lost, drained, time.monotonic() - started)
    print(f"left in the queues at the end (visible + in flight): {depths}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
