"""Send a signed request to the local (or a deployed) API and print the JSON answer.

    python -m tools.local.client GET /redeemers/RANACALICE0001 -q redemption_type=PWR
    python -m tools.local.client POST /redemptions --json order.json --save RID=items.0.redemptionId
    python -m tools.local.client POST /redemptions/{RID}/credits -d '{"pointsCredited": 100}'
    python -m tools.local.client --client demo-merchant GET /redeemers/781083548024764388823967569513 \\
        -q redemption_type=DR

Only the answer's JSON goes to stdout (pipe it to jq); the status line goes to stderr, and -i adds
the response headers there. --save NAME=FIELD keeps a field of the answer (items.0.redemptionId,
or items[0].redemptionId) in .local/saved.json, and {NAME} in a later path, query, header or body
stands for it. Requests are signed with OAuth 1.0a (RSA-SHA256, oauth_body_hash) by the local key
the local stack registers, as the client --client names (the first one without a key of its own
by default); --consumer-key and --key-file sign with your own key, for a deployed stack
(--stack-name NAME calls it at its ApiUrl).
Exit status: 0 for an answer below 400, 1 for an HTTP error, 2 for a usage or connection problem.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tools.cli import Parser, Problem, run
from tools.local.keys import CONSUMER_KEY, PRIVATE_KEY_FILE, STATE_DIR, keys_dir, local_clients
from tools.local.signing import authorization_header, load_private_key

DEFAULT_BASE_URL = "http://127.0.0.1:3000"
TIMEOUT_SECONDS = 30
SAVED_FILE = "saved.json"
PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


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
    headers: dict[str, str] | None = None,
    consumer_key: str = CONSUMER_KEY,
    signing_key: Any = None,
) -> Reply:
    """One signed request; the signature covers exactly the URL and body text sent."""
    url = base_url.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
    sent = {"accept": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
    if signing_key is not None:
        sent["authorization"] = authorization_header(method, url, body, consumer_key, signing_key)
    if body is not None:
        sent.setdefault("content-type", "application/json")
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method.upper(), headers=sent)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - URL from the user
            return Reply(response.status, dict(response.headers.items()), response.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers.items()), error.read().decode())


# -- saved values -----------------------------------------------------------------------------
def saved_values(state_dir: Path) -> dict[str, str]:
    path = state_dir / SAVED_FILE
    return dict(json.loads(path.read_text())) if path.exists() else {}


def substitute(text: str, saved: dict[str, str]) -> str:
    """``{NAME}`` replaced by what ``--save NAME=...`` kept."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in saved:
            raise Problem(f"nothing saved as {name} yet: save it with --save {name}=FIELD on the call that answers it")
        return saved[name]

    return PLACEHOLDER.sub(value, text)


def field_of(answer: Any, field: str) -> str:
    """``items.0.redemptionId`` (or ``items[0].redemptionId``) of a JSON answer."""
    value = answer
    for part in re.sub(r"\[(\d+)\]", r".\1", field).split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise Problem(f"the answer has no {field} to save")
    if isinstance(value, dict | list):
        raise Problem(f"{field} is not a single value")
    return str(value)


# -- arguments --------------------------------------------------------------------------------
def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected K=V, got {text!r}")
    return key, value


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME:VALUE, got {text!r}")
    return name.strip(), value.strip()


def _save(text: str) -> tuple[str, str]:
    name, field = _pair(text)
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"a saved name is in capitals (RID, AUTH_ID), got {name!r}")
    return name, field


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="python -m tools.local.client", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("method", type=str.upper, choices=["GET", "POST", "PUT", "DELETE", "PATCH"])
    parser.add_argument("path", help="e.g. /authorizations")
    body = parser.add_mutually_exclusive_group()
    body.add_argument("--json", type=Path, metavar="FILE", help="request body from a file")
    body.add_argument("-d", "--data", metavar="JSON", help="request body text")
    parser.add_argument("-q", "--query", type=_pair, action="append", default=[], metavar="K=V")
    parser.add_argument("-H", "--header", type=_header, action="append", default=[], metavar="NAME:VALUE")
    parser.add_argument("-i", "--include", action="store_true", help="print the response headers (to stderr)")
    parser.add_argument("--save", type=_save, action="append", default=[], metavar="NAME=FIELD")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("REWARDS_BASE_URL", DEFAULT_BASE_URL),
        help="default %(default)s (env REWARDS_BASE_URL)",
    )
    parser.add_argument("--stack-name", help="call a deployed stack: its ApiUrl output is the base URL")
    parser.add_argument("--region", help="the deployed stack's region (default: your AWS configuration)")
    parser.add_argument("--profile", help="the AWS profile that may read the deployed stack")
    parser.add_argument("--client", default=os.environ.get("REWARDS_CLIENT"), help="sign as this client (local key)")
    parser.add_argument("--consumer-key", help="sign with your own consumer key (and --key-file)")
    parser.add_argument("--key-file", type=Path, help="PEM private key (default: the local key)")
    parser.add_argument("--unsigned", action="store_true", help="send without an Authorization header")
    args = parser.parse_args(argv)
    if not args.path.startswith("/"):
        parser.error(f"the path starts with /, as in /{args.path}")
    return args


def signer(args: argparse.Namespace, state_dir: Path) -> tuple[str, Any]:
    """The consumer key and private key to sign with."""
    key_file = args.key_file or keys_dir(state_dir) / PRIVATE_KEY_FILE
    if args.consumer_key:
        consumer_key = args.consumer_key
    else:
        clients = local_clients(state_dir)
        if not clients:
            raise Problem(f"no local signing key in {keys_dir(state_dir)}: start the local stack once (make run)")
        client = args.client or next(iter(clients))
        if client not in clients:
            raise Problem(
                f"the local key does not sign as {client} (it signs as {', '.join(clients)}); "
                "for a client with keys of its own pass --consumer-key and --key-file"
            )
        consumer_key = clients[client]
    try:
        return consumer_key, load_private_key(key_file)
    except OSError as error:
        raise Problem(f"{key_file}: {error.strerror}") from None
    except (ValueError, TypeError):
        raise Problem(f"{key_file}: not an unencrypted PEM private key") from None


def stack_url(stack_name: str, region: str | None, profile: str | None) -> str:
    """A deployed stack's base URL (its ApiUrl output)."""
    import boto3

    from tools.target import stack_description

    session = boto3.session.Session(region_name=region, profile_name=profile)
    outputs = stack_description(session, stack_name).get("Outputs", [])
    found = [o["OutputValue"] for o in outputs if o["OutputKey"] == "ApiUrl"]
    if not found:
        raise Problem(f"stack {stack_name} has no ApiUrl output: is it this project's stack?")
    return str(found[0])


def request_body(args: argparse.Namespace, saved: dict[str, str]) -> str | None:
    text = args.data
    if args.json is not None:
        try:
            text = args.json.read_text()
        except OSError as error:
            raise Problem(f"{args.json}: {error.strerror}") from None
    if text is None:
        return None
    text = substitute(text, saved)
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise Problem(f"the body is not JSON: {error}") from None
    return text


def write_out(text: str) -> None:
    """Print to stdout; a reader that went away (``| head``) ends the output quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    state_dir = STATE_DIR
    saved = saved_values(state_dir)
    body = request_body(args, saved)
    base_url = stack_url(args.stack_name, args.region, args.profile) if args.stack_name else args.base_url
    consumer_key, key = signer(args, state_dir) if not args.unsigned else ("", None)
    try:
        reply = send(
            base_url,
            args.method,
            substitute(args.path, saved),
            body=body,
            query=[(k, substitute(v, saved)) for k, v in args.query],
            headers={name: substitute(value, saved) for name, value in args.header},
            consumer_key=consumer_key,
            signing_key=key,
        )
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise Problem(f"cannot reach {base_url}: {reason} (is the local stack running? make run)") from None
    print(f"HTTP {reply.status}", file=sys.stderr)
    if args.include:
        print("\n".join(f"{name}: {value}" for name, value in reply.headers.items()), file=sys.stderr)
    try:
        answer = reply.json()
    except json.JSONDecodeError:
        write_out(reply.text + "\n")
        return 0 if reply.status < 400 else 1
    write_out(json.dumps(answer, indent=2) + "\n")
    if reply.status >= 400:
        return 1
    if args.save:
        kept = {name: field_of(answer, field) for name, field in args.save}
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / SAVED_FILE).write_text(json.dumps(saved | kept, indent=2) + "\n")
        print("saved " + " ".join(f"{name}={value}" for name, value in kept.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main))
