"""Make a deployed stack callable: its SSM secrets, a client's public key, its configuration.

    python -m tools.bootstrap --stack-name rewards-prod --config config/production.example.yaml \\
        --client first-issuer --consumer-key "first-issuer-1!prod" --public-key issuer-certificate.pem

In order, and safe to run again:
1. the card-hash key (SSM SecureString named by the stack's PanHashKeyParameterName): made once,
   never replaced (a new key would orphan every stored card hash);
2. each client webhook's signing secret (SecureString at its secretParameterName, which must lie
   under the stack's WebhookSecretParameterPrefix): made once, never replaced;
3. the public key (a PEM certificate or public key) registered for --client as --consumer-key;
4. the document loaded (tools.config_loader), with that key.
It refuses a document a deployed stack cannot serve: webhooks on loopback or plain http, secrets
outside the prefix the webhook sender may read. Prints what it made and what it kept, never a secret.
Exit 0 when done, 2 with one line when it cannot (nothing is written before the checks pass).
"""

from __future__ import annotations

import argparse
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tools import target
from tools.cli import Parser, Problem, run
from tools.config_loader import InvalidDocument, load_into, parse_document, raw_document

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_KEYS_PER_CLIENT = 2


def deployable(raw: dict[str, Any], prefix: str) -> None:
    """Refuse what a deployed stack cannot serve (the document is valid already)."""
    for client in raw.get("clients") or []:
        webhook = client.get("webhook")
        if not webhook:
            continue
        url, name = urlsplit(str(webhook["url"])), str(webhook["secretParameterName"])
        if url.scheme != "https" or url.hostname in LOOPBACK:
            raise Problem(f"client {client['clientId']}: webhook {webhook['url']} is not reachable from AWS (https)")
        if not name.startswith(prefix.rstrip("/") + "/"):
            raise Problem(
                f"client {client['clientId']}: webhook secret {name} is outside the stack's prefix {prefix}/ "
                "(the only one the webhook sender may read)"
            )


def register_key(raw: dict[str, Any], client_id: str, consumer_key: str, public_key: Path) -> None:
    """Add the key to the client in the document (replacing one of the same consumer key)."""
    from rewards.security.oauth1 import load_public_key

    try:
        pem = public_key.read_text()
        load_public_key(pem)
    except OSError as error:
        raise Problem(f"{public_key}: {error.strerror}") from None
    except ValueError:
        raise Problem(f"{public_key}: not a PEM certificate or RSA public key") from None
    found = [c for c in raw.get("clients") or [] if c.get("clientId") == client_id]
    if not found:
        known = ", ".join(str(c.get("clientId")) for c in raw.get("clients") or [])
        raise Problem(f"the document has no client {client_id} (it has {known})")
    client = found[0]
    keys = [k for k in client.get("consumerKeys") or [] if k.get("consumerKey") != consumer_key]
    if len(keys) >= MAX_KEYS_PER_CLIENT:
        raise Problem(f"client {client_id} has {len(keys)} keys already: remove one from the document (rotation)")
    client["consumerKeys"] = [*keys, {"consumerKey": consumer_key, "publicKeyPem": pem, "active": True}]


def ensure_secret(ssm: Any, name: str, description: str) -> str:
    """'made' or 'kept': an existing secret is never replaced."""
    try:
        ssm.put_parameter(
            Name=name, Description=description, Value=secrets.token_hex(32), Type="SecureString", Overwrite=False
        )
    except ssm.exceptions.ParameterAlreadyExists:
        return "kept"
    return "made"


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog="python -m tools.bootstrap", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", type=Path, required=True, help="the configuration document to load")
    parser.add_argument("--client", help="register --public-key for this client of the document")
    parser.add_argument("--consumer-key", help="the consumer key the client signs with")
    parser.add_argument("--public-key", type=Path, help="the client's PEM certificate or public key")
    target.add_arguments(parser)
    args = parser.parse_args(argv)
    key_options = [args.client, args.consumer_key, args.public_key]
    if any(key_options) and not all(key_options):
        parser.error("--client, --consumer-key and --public-key go together")
    where = target.resolve(args)
    try:
        raw = raw_document(args.config)
        if args.client:
            register_key(raw, args.client, args.consumer_key, args.public_key)
        document = parse_document(json.dumps(raw))
    except InvalidDocument as error:
        raise Problem(f"{args.config}: {' '.join(str(error).split())}") from None
    deployable(raw, where.webhook_secret_prefix)

    ssm = where.client("ssm")
    done = ensure_secret(ssm, where.pan_key_parameter, "Key of the card-number hashes (never rotate in place)")
    print(f"card-hash key {where.pan_key_parameter}: {done}")
    for client in document.clients:
        if client.webhook is not None:
            name = client.webhook.secretParameterName
            done = ensure_secret(ssm, name, f"Auth Notifier signing secret of client {client.clientId}")
            print(f"webhook secret of {client.clientId} {name}: {done} (give it to the client: aws ssm get-parameter)")
    counts = load_into(where, document)
    print(f"{args.config} loaded into {where.description}: {counts}")
    if args.client:
        print(f"client {args.client} signs with consumer key {args.consumer_key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main))
