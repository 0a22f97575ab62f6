"""Run the whole service on 127.0.0.1: ``python -m tools.local [--port 3000] [--moto-port 5000]``."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import errno
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from tools.cli import EXIT_PROBLEM, Parser, run
from tools.config_loader import InvalidDocument, document_text, parse_document
from tools.local.functions import shared_environment
from tools.local.keys import STATE_DIR
from tools.local.moto_server import PortInUse
from tools.local.pollers import SQS_CONCURRENCY
from tools.local.stack import DEFAULT_PREFIX, DEMO_CONFIG, LocalStack, StackOptions
from tools.local.webhook_receiver import DEFAULT_PORT as WEBHOOK_PORT
from tools.samtemplate import ROOT, Resolver

DEFAULT_URL = "http://127.0.0.1:3000"
DEFAULT_STATE_DIR = ROOT / ".local"


def webhooks(stack: LocalStack) -> str:
    if stack.webhook is not None:
        return f"{stack.webhook.url}  (Auth Notifier calls are printed here)"
    if stack.webhook_problem:
        return f"receiver not started: {stack.webhook_problem} (--webhook-port picks another)"
    return "receiver off (--webhook-port 0); run python -m tools.local.webhook_receiver"


def client_command(stack: LocalStack) -> str:
    """The client as a new shell at the repository root runs it: this interpreter, this stack's URL."""
    python = Path(sys.executable)
    with contextlib.suppress(ValueError):
        python = python.relative_to(Path.cwd())
    command = f"{python} -m tools.local.client"
    if stack.options.state_dir.resolve() != DEFAULT_STATE_DIR.resolve():
        command = f"REWARDS_STATE_DIR={stack.options.state_dir} {command}"
    return command if stack.url == DEFAULT_URL else f"{command} --base-url {stack.url}"


def signing(stack: LocalStack) -> str:
    local = ", ".join(stack.local_clients) or "none"
    line = f"the local key ({stack.private_key}) signs as {local}; the first is the default, --client ID picks"
    if stack.own_key_clients:
        own = ", ".join(stack.own_key_clients)
        line += f"\n               keys of their own (sign with --consumer-key and --key-file): {own}"
    return line


def banner(stack: LocalStack) -> str:
    dlq = stack.queues.get("AuthorizationDeadLetterQueue", "(none)")
    queue = stack.queues.get("AuthorizationQueue", "(none)")
    client = client_command(stack)
    today = datetime.date.today().isoformat()
    return f"""
Pay with Rewards, running locally
  API          {stack.url}      (Swagger UI: {stack.url}/docs)
  moto         {stack.moto_url}  (AWS_ENDPOINT_URL for the AWS CLI or boto3)
  queue        {queue}
  dead letters {dlq}
  emails       {stack.emails_dir / "index.html"}  (what SES accepted, refreshed as they arrive)
  webhooks     {webhooks(stack)}
  signing      {signing(stack)}

Try, in another terminal at the repository root:
  {client} GET /redeemers/RANACALICE0001 -q redemption_type=PWR
  {client} GET /redeemers/RANACCAROL0001/preferences -q redemption_type=PWR
  {client} GET /authorizations -q user_id=RANACALICE0001 -q from_date={today} -q to_date={today} \\
      -q include_reprocessed=true
Walkthroughs: README.md, "Run it locally".  Ctrl-C stops everything.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(prog="python -m tools.local", description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="local API gateway port (default 3000)")
    parser.add_argument("--moto-port", type=int, default=5000, help="moto server port (default 5000)")
    parser.add_argument(
        "--moto-host", default="127.0.0.1", help="moto listen address; 0.0.0.0 for `sam local` containers"
    )
    parser.add_argument(
        "--webhook-port",
        type=int,
        default=WEBHOOK_PORT,
        help="Auth Notifier receiver port (default %(default)s; 0: no receiver)",
    )
    parser.add_argument(
        "--sqs-concurrency",
        type=int,
        default=SQS_CONCURRENCY,
        help="concurrent batches per queue, capped by the template's MaximumConcurrency (default %(default)s)",
    )
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="resource name prefix (default %(default)s)")
    parser.add_argument("--config", type=Path, default=DEMO_CONFIG, help="configuration document to load")
    parser.add_argument(
        "--item-level-transactions",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="moto rolls a transaction back by the items it touched, not a copy of every table (default on)",
    )
    parser.add_argument(
        "--state-dir", type=Path, default=STATE_DIR, help="keys, card-hash key, emails (env REWARDS_STATE_DIR)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        parse_document(document_text(args.config))  # refused before anything starts
    except InvalidDocument as error:
        print(f"error: {args.config}: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    options = StackOptions(
        port=args.port,
        moto_port=args.moto_port,
        moto_host=args.moto_host,
        prefix=args.prefix,
        config=args.config,
        state_dir=args.state_dir,
        webhook_port=args.webhook_port or None,
        echo_webhooks=True,
        settlement_every=60.0,
        sqs_concurrency=args.sqs_concurrency,
        item_level_transactions=args.item_level_transactions,
    )
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    # A dedicated process: the functions' common settings apply before the shared layer is imported.
    for name, value in shared_environment(Resolver(prefix=options.prefix)).items():
        os.environ.setdefault(name, value)
    stack = LocalStack(options)
    try:
        stack.start()
    except PortInUse as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(f"error: a port is already in use ({error})", file=sys.stderr)
            return EXIT_PROBLEM
        raise
    print(banner(stack), flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        print("stopping…", file=sys.stderr)
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main))
