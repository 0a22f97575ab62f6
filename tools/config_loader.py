"""Validate a configuration document (YAML or JSON) and load it into the tables.

    python -m tools.config_loader config/demo.yaml --check          # validate only
    python -m tools.config_loader config/demo.yaml --local-prefix rewards-local
    python -m tools.config_loader config/production.example.yaml --stack-name rewards-prod

Programs and clients are upserted. Accounts are upserted without touching their preferences once
they exist. Point pools are created with their opening balance only if they do not exist: a balance
is ledger state, and reloading a document never resets it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rewards.adapters.cardholder_store import CardholderStore
from rewards.adapters.config_store import ConfigStore, ConsumerKeyTaken
from rewards.adapters.dynamo import Table
from rewards.cardnumbers import card_hash, last_four
from rewards.domain import AccountRef, CardholderPreferences
from rewards.models.config import AccountDoc, ConfigurationDocument
from rewards.services.accounts import random_customer_key
from tools import target
from tools.cli import Parser, Problem, run


class InvalidDocument(Exception):
    pass


def parse_document(text: str) -> ConfigurationDocument:
    """Parse and validate; the error message names the offending field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidDocument(f"not valid YAML/JSON: {' '.join(str(error).split())}") from error
    try:
        document = ConfigurationDocument.model_validate(raw or {})
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "(document)"
            lines.append(f"{where}: {problem['msg']}")
        raise InvalidDocument("invalid configuration:\n  " + "\n  ".join(lines)) from error
    _unique_consumer_keys(document)
    return document


def _unique_consumer_keys(document: ConfigurationDocument) -> None:
    """A consumer key identifies one client: the lookup item ``CONSUMERKEY#{key}`` names it."""
    seen: set[str] = set()
    for client in document.clients:
        for registered in client.consumerKeys:
            if registered.consumerKey in seen:
                raise InvalidDocument(f"consumer key {registered.consumerKey} is listed more than once")
            seen.add(registered.consumerKey)


class ConfigurationLoader:
    def __init__(self, ledger: Table, config: Table, card_secret: bytes) -> None:
        self.cardholders = CardholderStore(ledger)
        self.config = ConfigStore(config)
        self.secret = card_secret

    def load(self, document: ConfigurationDocument) -> dict[str, int]:
        for program in document.programs:
            issuer = document.issuer_of(program.programId)
            self.config.save_program(program.model_copy(update={"issuerClientId": issuer}))
        for client in document.clients:
            self.config.save_client(client)
        for household in document.households:
            self.cardholders.create_pool(household.householdId, household.programId, household.openingBalance)
        accounts = 0
        for user in document.users:
            for account in user.accounts:
                self._save_account(user.userId, account)
                accounts += 1
            if user.bankCustomerNumber:
                refs = [AccountRef(a.accountId, a.programId) for a in user.accounts]
                self.cardholders.save_customer(card_hash(self.secret, user.bankCustomerNumber), refs)
            if user.randomCustomerId:
                refs = [AccountRef(a.accountId, a.programId) for a in user.accounts]
                self.cardholders.save_customer(card_hash(self.secret, random_customer_key(user.randomCustomerId)), refs)
        return {
            "programs": len(document.programs),
            "clients": len(document.clients),
            "households": len(document.households),
            "accounts": accounts,
        }

    def _save_account(self, user_id: str, doc: AccountDoc) -> None:
        pool_id = doc.householdId or doc.accountId
        if doc.householdId is None:
            assert doc.openingBalance is not None  # the document model requires it
            self.cardholders.create_pool(pool_id, doc.programId, doc.openingBalance)
        digest = card_hash(self.secret, doc.cardNumber)
        static: dict[str, object] = {
            "accountId": doc.accountId,
            "userId": user_id,
            "programId": doc.programId,
            "status": doc.status.value,
            "poolId": pool_id,
            "householdId": doc.householdId,
            "householdRole": doc.householdRole.value if doc.householdRole else None,
            "lastFour": last_four(doc.cardNumber),
            "cardHash": digest,
            "bankProductCode": doc.bankProductCode,
            "cardBin": doc.cardNumber[:6],
        }
        self.cardholders.save_account(static, CardholderPreferences(**doc.preferences.model_dump()), digest)


def document_text(path: Path) -> str:
    """The text of a document; a file that cannot be read is a Problem (one line, exit 2)."""
    try:
        return path.read_text()
    except OSError as error:
        raise Problem(f"{path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise Problem(f"{path}: not a text file") from None


def raw_document(path: Path) -> dict[str, Any]:
    """The document as parsed, before validation (InvalidDocument when it is no YAML/JSON mapping)."""
    try:
        raw = yaml.safe_load(document_text(path))
    except yaml.YAMLError as error:
        raise InvalidDocument(f"not valid YAML/JSON: {' '.join(str(error).split())}") from error
    if not isinstance(raw, dict):
        raise InvalidDocument("a configuration document is a mapping of programs, clients, households, users")
    return raw


def local_keys(raw: dict[str, Any]) -> list[str]:
    """As the local stack does: its key for every client without one (else a reload would drop them)."""
    from tools.local.keys import (
        CERTIFICATE_FILE,
        STATE_DIR,
        ensure_keys,
        keys_dir,
        register_local_key,
        save_local_clients,
    )

    if not (keys_dir(STATE_DIR) / CERTIFICATE_FILE).exists():
        return []
    registered = register_local_key(raw, ensure_keys(STATE_DIR)[1])
    save_local_clients(STATE_DIR, registered)
    return registered


def card_hash_key(where: target.Target) -> bytes:
    """The card-hash key from SSM (python -m tools.bootstrap creates it for a deployed stack)."""
    ssm = where.client("ssm")
    try:
        parameter = ssm.get_parameter(Name=where.pan_key_parameter, WithDecryption=True)
    except ssm.exceptions.ParameterNotFound:
        raise Problem(
            f"{where.description} has no card-hash key {where.pan_key_parameter}: run python -m tools.bootstrap first"
        ) from None
    return str(parameter["Parameter"]["Value"]).encode()


def load_into(where: target.Target, document: ConfigurationDocument, secret: bytes | None = None) -> dict[str, int]:
    dynamodb = where.client("dynamodb")
    loader = ConfigurationLoader(
        Table(dynamodb, where.ledger_table), Table(dynamodb, where.config_table), secret or card_hash_key(where)
    )
    try:
        return loader.load(document)
    except ConsumerKeyTaken as error:
        raise Problem(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog="python -m tools.config_loader", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("document", type=Path, help="a YAML or JSON configuration document")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing (needs no stack)")
    target.add_arguments(parser, required=False)
    parser.add_argument("--pan-key-param", help="the card-hash key's SSM name (default: the stack's)")
    args = parser.parse_args(argv)
    try:
        raw = raw_document(args.document)
        registered = local_keys(raw) if args.local_prefix and not args.check else []
        document = parse_document(json.dumps(raw))
    except InvalidDocument as error:  # the finding this command reports: exit 1
        print(f"{args.document}: {error}", file=sys.stderr)
        return 1
    if registered:
        print(f"the local key signs as {', '.join(registered)}", file=sys.stderr)
    if args.check:
        print(f"{args.document}: valid")
        return 0
    where = target.resolve(args)
    if args.pan_key_param:
        where.pan_key_parameter = args.pan_key_param
    print(json.dumps(load_into(where, document)))
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main))
