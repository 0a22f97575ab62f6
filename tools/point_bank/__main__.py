"""Run the reference point bank on 127.0.0.1 (docs/point-bank.md).

python -m tools.point_bank --public-key cert.pem [--consumer-key rewards-engine] [--port 3200]
    [--store .local/point-bank.sqlite] [--account POOL-1=25000 ...] [--serve-seconds 3600]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from decimal import Decimal
from pathlib import Path

from tools.point_bank.server import DEFAULT_PORT, PointBank
from tools.point_bank.store import BankStore

ENGINE_CONSUMER_KEY = "rewards-engine"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.point_bank", description=__doc__.splitlines()[0])
    parser.add_argument("--public-key", type=Path, required=True, help="the engine's certificate or public key (PEM)")
    parser.add_argument("--consumer-key", default=ENGINE_CONSUMER_KEY, help="the engine's consumer key at this bank")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--store", default=":memory:", help="SQLite file (default: in memory)")
    parser.add_argument("--account", action="append", default=[], metavar="ID=POINTS", help="open or set an account")
    parser.add_argument("--serve-seconds", type=float, default=3600.0, help="stop by itself after this long")
    args = parser.parse_args(argv)
    store = BankStore(args.store)
    for entry in args.account:
        account_id, _, points = entry.partition("=")
        store.open_account(account_id, Decimal(points or "0"))
    with PointBank(store, {args.consumer_key: args.public_key.read_text()}, port=args.port) as bank:
        print(f"point bank at {bank.url} (consumer key {args.consumer_key})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(args.serve_seconds)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
