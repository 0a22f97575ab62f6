"""Send a signed request to the local (or a deployed) API and print the answer.

    python -m tools.local.client GET /redeemers/RANACALICE0001 -q redemption_type=PWR
    python -m tools.local.client POST /authorizations --json purchase.json
    python -m tools.local.client PUT /redeemers/RANACCAROL0001/preferences -q redemption_type=PWR \\
        -d '{"userIdType": "RANAC", "preferences": {"redemptionFrequency": "SNGL"}}'

Requests are signed with OAuth 1.0a (RSA-SHA256, oauth_body_hash) using the local demo key
(.local/keys/, made by the first `make run`) unless --key-file and --consumer-key say otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tools.local.keys import CONSUMER_KEY, PRIVATE_KEY_FILE, STATE_DIR, keys_dir
from tools.local.signing import authorization_header, load_private_key

DEFAULT_BASE_URL = os.environ.get("REWARDS_BASE_URL", "http://127.0.0.1:3000")
TIMEOUT_SECONDS = 30


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


def send(
    base_url: str,
    method: str,
    path: str,
    *,
    body: str | None = None,
    query: list[tuple[str, str]] | None = None,
    consumer_key: str = CONSUMER_KEY,
    signing_key: Any = None,
) -> Reply:
    """One signed request; the signature covers exactly the URL and body text sent."""
    url = base_url.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
    headers = {"accept": "application/json"}
    if signing_key is not None:
        headers["authorization"] = authorization_header(method, url, body, consumer_key, signing_key)
    if body is not None:
        headers["content-type"] = "application/json"
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method.upper(), headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - URL from the user
            return Reply(response.status, dict(response.headers.items()), response.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers.items()), error.read().decode())


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected k=v, got {text!r}")
    return key, value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local.client", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("method", type=str.upper, choices=["GET", "POST", "PUT", "DELETE", "PATCH"])
    parser.add_argument("path", help="e.g. /authorizations")
    body = parser.add_mutually_exclusive_group()
    body.add_argument("--json", type=Path, metavar="FILE", help="request body from a file")
    body.add_argument("-d", "--data", metavar="JSON", help="request body text")
    parser.add_argument("-q", "--query", type=_pair, action="append", default=[], metavar="K=V")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help="default %(default)s (env REWARDS_BASE_URL)")
    parser.add_argument("--consumer-key", default=CONSUMER_KEY)
    parser.add_argument("--key-file", type=Path, default=keys_dir(STATE_DIR) / PRIVATE_KEY_FILE, help="PEM key")
    parser.add_argument("--unsigned", action="store_true", help="send without an Authorization header")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    body = args.json.read_text() if args.json else args.data
    if body is not None:
        try:
            json.loads(body)
        except json.JSONDecodeError as error:
            print(f"error: the body is not JSON: {error}", file=sys.stderr)
            return 2
    key = None
    if not args.unsigned:
        if not args.key_file.exists():
            print(f"error: no signing key at {args.key_file} (start the local stack once: make run)", file=sys.stderr)
            return 2
        key = load_private_key(args.key_file)
    try:
        reply = send(
            args.base_url,
            args.method,
            args.path,
            body=body,
            query=args.query,
            consumer_key=args.consumer_key,
            signing_key=key,
        )
    except urllib.error.URLError as error:
        print(f"error: cannot reach {args.base_url}: {error.reason}", file=sys.stderr)
        return 2
    print(f"HTTP {reply.status}")
    try:
        print(json.dumps(reply.json(), indent=2))
    except json.JSONDecodeError:
        print(reply.text)
    return 0 if reply.status < 400 else 1


if __name__ == "__main__":
    raise SystemExit(main())
