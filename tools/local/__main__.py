"""Run the whole service on 127.0.0.1: ``python -m tools.local [--port 3000] [--moto-port 5000]``."""

from __future__ import annotations

import argparse
import datetime
import errno
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from tools.samtemplate import ROOT, Resolver

if str(ROOT / "layers" / "shared") not in sys.path:  # `python -m tools.local` without the Makefile
    sys.path.insert(0, str(ROOT / "layers" / "shared"))

from tools.local.functions import shared_environment
from tools.local.moto_server import PortInUse
from tools.local.pollers import SQS_CONCURRENCY
from tools.local.stack import DEFAULT_PREFIX, DEMO_CONFIG, LocalStack, StackOptions
from tools.local.webhook_receiver import DEFAULT_PORT as WEBHOOK_PORT

EXIT_PORT_IN_USE = 2


def webhooks(stack: LocalStack) -> str:
    if stack.webhook is not None:
        return f"{stack.webhook.url}  (Auth Notifier calls are printed here)"
    if stack.webhook_problem:
        return f"receiver not started: {stack.webhook_problem} (--webhook-port picks another)"
    return "receiver off (--webhook-port 0); run python -m tools.local.webhook_receiver"


def banner(stack: LocalStack) -> str:
    dlq = stack.queues.get("AuthorizationDeadLetterQueue", "(none)")
    queue = stack.queues.get("AuthorizationQueue", "(none)")
    client = "python -m tools.local.client" + ("" if stack.url.endswith(":3000") else f" --base-url {stack.url}")
    today = datetime.date.today().isoformat()
    return f"""
Pay with Rewards, running locally
  API          {stack.url}      (Swagger UI: {stack.url}/docs)
  moto         {stack.moto_url}  (AWS_ENDPOINT_URL for the AWS CLI or boto3)
  queue        {queue}
  dead letters {dlq}
  emails       {stack.emails_dir / "index.html"}  (what SES accepted, refreshed as they arrive)
  webhooks     {webhooks(stack)}

Try (requests are signed with the demo client's key, {stack.private_key}):
  {client} GET /redeemers/RANACALICE0001 -q redemption_type=PWR
  {client} GET /redeemers/RANACCAROL0001/preferences -q redemption_type=PWR
  {client} GET /authorizations -q user_id=RANACALICE0001 -q from_date={today} -q to_date={today} \\
      -q include_reprocessed=true
Walkthrough: docs/local.md.  Ctrl-C stops everything.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.local", description=__doc__)
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
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local", help="keys and card-hash key")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
        sqs_concurrency=args.sqs_concurrency,
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
        return EXIT_PORT_IN_USE
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(f"error: a port is already in use ({error})", file=sys.stderr)
            return EXIT_PORT_IN_USE
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
    raise SystemExit(main())
