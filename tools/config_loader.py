"""Validate a configuration document (YAML or JSON) and load it into the tables.

    python -m tools.config_loader config/demo.yaml --local-prefix rewards-local --endpoint-url http://127.0.0.1:5000
    python -m tools.config_loader config/demo.yaml --stack-name rewards-dev

Programs and clients are upserted. Accounts are upserted without touching their preferences once
they exist. Point pools are created with their opening balance only if they do not exist: a balance
is ledger state, and reloading a document never resets it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rewards.adapters.config_store import ConfigStore, ConsumerKeyTaken
from rewards.adapters.dynamo import Table, TransactionRefused, to_attr
from rewards.adapters.ledger import account_key, bcn_key, card_key, pool_key, preferences_to_item
from rewards.cardnumbers import card_hash, last_four
from rewards.domain import CardholderPreferences
from rewards.models.config import AccountDoc, ConfigurationDocument


class InvalidDocument(Exception):
    pass


def parse_document(text: str) -> ConfigurationDocument:
    """Parse and validate; the error message names the offending field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidDocument(f"not valid YAML/JSON: {error}") from error
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
        self.ledger = ledger
        self.config = ConfigStore(config)
        self.secret = card_secret

    def load(self, document: ConfigurationDocument) -> dict[str, int]:
        for program in document.programs:
            self.config.save_program(program)
        for client in document.clients:
            self.config.save_client(client)
        for household in document.households:
            self._create_pool(household.householdId, household.programId, household.openingBalance)
        accounts = 0
        for user in document.users:
            for account in user.accounts:
                self._save_account(user.userId, account)
                accounts += 1
            if user.bankCustomerNumber:
                pk, sk = bcn_key(card_hash(self.secret, user.bankCustomerNumber))
                accounts_of_user = [{"accountId": a.accountId, "programId": a.programId} for a in user.accounts]
                self.ledger.put({"pk": pk, "sk": sk, "accounts": accounts_of_user})
        return {
            "programs": len(document.programs),
            "clients": len(document.clients),
            "households": len(document.households),
            "accounts": accounts,
        }

    def _create_pool(self, pool_id: str, program_id: str, opening: Any) -> None:
        pk, sk = pool_key(pool_id)
        values = {
            "pk": pk,
            "sk": sk,
            "type": "POOL",
            "poolId": pool_id,
            "programId": program_id,
            "openingBalance": opening,
            "balance": opening,
            "totalDebits": 0,
            "totalCredits": 0,
        }
        with contextlib.suppress(TransactionRefused):  # an existing pool's balance is ledger state
            self.ledger.put(values, condition="attribute_not_exists(pk)")

    def _save_account(self, user_id: str, doc: AccountDoc) -> None:
        pool_id = doc.householdId or doc.accountId
        if doc.householdId is None:
            self._create_pool(pool_id, doc.programId, doc.openingBalance)
        digest = card_hash(self.secret, doc.cardNumber)
        pk, sk = account_key(doc.accountId)
        static = {
            "type": "ACCOUNT",
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
        }
        prefs = CardholderPreferences(**doc.preferences.model_dump())
        item = {
            "pk": pk,
            "sk": sk,
            **static,
            "version": 0,
            "preferences": {k: v for k, v in preferences_to_item(prefs).items() if v is not None},
        }
        try:
            self.ledger.put(item, condition="attribute_not_exists(pk)")
        except TransactionRefused:
            present = {k: v for k, v in static.items() if v is not None}
            sets = ", ".join(f"#{k} = :{k}" for k in present)
            removes = ", ".join(f"#{k}" for k, v in static.items() if v is None)
            expression = f"SET {sets}" + (f" REMOVE {removes}" if removes else "")
            self.ledger.update(
                pk,
                sk,
                UpdateExpression=expression,
                ExpressionAttributeNames={f"#{k}": k for k in static if k in present or static[k] is None},
                ExpressionAttributeValues={f":{k}": to_attr(v) for k, v in present.items()},
            )
        card_pk, card_sk = card_key(digest)
        # The program beside the account: a caller's access is checked before the account is read.
        self.ledger.put({"pk": card_pk, "sk": card_sk, "accountId": doc.accountId, "programId": doc.programId})


def _stack_outputs(session: Any, stack_name: str) -> dict[str, str]:
    stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("document", type=Path)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack-name", help="a deployed stack: table names come from its outputs")
    target.add_argument("--local-prefix", help="the local stack's resource prefix")
    parser.add_argument("--endpoint-url", help="e.g. the local moto server")
    parser.add_argument("--pan-key-param", default="/rewards/dev/pan-hash-key")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    args = parser.parse_args(argv)
    try:
        document = parse_document(args.document.read_text())
    except InvalidDocument as error:
        print(f"{args.document}: {error}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{args.document}: valid")
        return 0
    session = boto3.session.Session()
    if args.stack_name:
        outputs = _stack_outputs(session, args.stack_name)
        ledger_name, config_name = outputs["LedgerTableName"], outputs["ConfigTableName"]
    else:
        ledger_name, config_name = f"{args.local_prefix}-LedgerTable", f"{args.local_prefix}-ConfigTable"
    dynamodb = session.client("dynamodb", endpoint_url=args.endpoint_url)
    ssm = session.client("ssm", endpoint_url=args.endpoint_url)
    secret = ssm.get_parameter(Name=args.pan_key_param, WithDecryption=True)["Parameter"]["Value"].encode()
    try:
        counts = ConfigurationLoader(Table(dynamodb, ledger_name), Table(dynamodb, config_name), secret).load(document)
    except ConsumerKeyTaken as error:
        print(f"{args.document}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
