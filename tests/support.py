"""Test helpers: load handlers by their template logical id, build events, a Lambda context."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from tools import provision
from tools.samtemplate import ROOT, Resolver, handler_path, resources

from rewards.security.digest import body_hash

EVENTS = ROOT / "events"
DEMO_CONFIG = ROOT / "config" / "demo.yaml"
PAN_KEY_PARAM = "/rewards/test/pan-hash-key"
CLIENT_CONTEXT = {"clientId": "demo-issuer", "programIds": "PWRDEMO", "role": "ISSUER"}


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "test-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


_modules: dict[str, ModuleType] = {}


def handler_module(logical_id: str) -> ModuleType:
    """Import functions/<dir>/app.py under a unique name (every function's file is app.py)."""
    if logical_id not in _modules:
        path, _ = handler_path(logical_id)
        spec = importlib.util.spec_from_file_location(f"function_{logical_id}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # pydantic resolves a model's annotations through sys.modules
        spec.loader.exec_module(module)
        _modules[logical_id] = module
    return _modules[logical_id]


def set_body(event: dict[str, Any], new_body: str) -> dict[str, Any]:
    """Replace an API event's body as a client that signed the new body would send it."""
    event["body"] = new_body
    context = event.get("requestContext", {}).get("authorizer", {}).get("lambda")
    if context is not None:
        context["bodyHash"] = body_hash(new_body.encode())
    return event


# What a test changes in a function's environment (monkeypatch.setitem(OVERRIDES, name, value)).
OVERRIDES: dict[str, str] = {}
_current: list[Resolver] = []  # the stack provision_stack made last


@cache
def function_variables() -> frozenset[str]:
    """Every variable template.yaml sets for some function, Powertools' own excepted (the tests
    set those once for the process)."""
    names = set()
    for logical_id in resources("AWS::Serverless::Function"):
        names |= set(Resolver(prefix="x").function_environment(logical_id))
    return frozenset(name for name in names if not name.startswith("POWERTOOLS_"))


@contextmanager
def function_environment(logical_id: str) -> Iterator[None]:
    """os.environ holds exactly the function's template environment (and OVERRIDES) meanwhile."""
    managed = function_variables() | set(OVERRIDES)
    wanted = {k: v for k, v in _current[-1].function_environment(logical_id).items() if k in managed}
    wanted.update(OVERRIDES)
    saved = {name: os.environ.pop(name, None) for name in managed}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name in managed:
            os.environ.pop(name, None)
        os.environ.update({name: value for name, value in saved.items() if value is not None})


def invoke(logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """Call a function as Lambda would, in exactly its template environment. An authorizer
    context written by hand (clientId, no bodyHash) gets the hash of the event's body, as the
    request authorizer would have passed it. Threads (the races) share the process environment,
    so they run in the union of every function's, which provision_stack leaves in place."""
    context = event.get("requestContext", {}).get("authorizer", {}).get("lambda")
    if context is not None and context.get("clientId") and "bodyHash" not in context:
        context["bodyHash"] = body_hash((event.get("body") or "").encode())
    module = handler_module(logical_id)
    _, function = handler_path(logical_id)
    if not _current or threading.current_thread() is not threading.main_thread():
        return getattr(module, function)(event, LambdaContext(function_name=logical_id))  # type: ignore[no-any-return]
    with function_environment(logical_id):
        return getattr(module, function)(event, LambdaContext(function_name=logical_id))  # type: ignore[no-any-return]


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


@dataclass
class Stack:
    """The template's resources on moto, with the function environment applied to os.environ."""

    resolver: Resolver
    tables: dict[str, str]
    queues: dict[str, str]
    topics: dict[str, str]
    secret: bytes
    buckets: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """One client per service for the test's own reads (botocore clients are thread-safe)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name="us-east-1")
        return self._clients[service]

    @property
    def ledger_table(self) -> str:
        return self.tables["LedgerTable"]

    @property
    def config_table(self) -> str:
        return self.tables["ConfigTable"]


def provision_stack(prefix: str = "test") -> Stack:
    resolver = Resolver(
        prefix=prefix,
        endpoint="https://sqs.us-east-1.amazonaws.com",
        parameters={"PanHashKeyParameterName": PAN_KEY_PARAM.lstrip("/")},
    )
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    tables = provision.create_tables(dynamodb, resolver)
    queues = provision.create_queues(boto3.client("sqs", region_name="us-east-1"), resolver)
    topics = provision.create_topics(boto3.client("sns", region_name="us-east-1"), resolver)
    buckets = provision.create_buckets(boto3.client("s3", region_name="us-east-1"), resolver)
    secret = secrets.token_hex(32)
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name=PAN_KEY_PARAM, Value=secret, Type="SecureString")
    for logical_id in resources("AWS::Serverless::Function"):
        os.environ.update(resolver.function_environment(logical_id))
    _current[:] = [resolver]
    return Stack(resolver, tables, queues, topics, secret.encode(), buckets)


def ledger_items(stack: Stack) -> list[dict[str, Any]]:
    """Every item of the ledger table, as DynamoDB returns it (consistent scan, all pages)."""
    client = stack.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.ledger_table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def load_config(stack: Stack, path: Path = DEMO_CONFIG, text: str | None = None) -> None:
    from tools.config_loader import ConfigurationLoader, parse_document

    from rewards.adapters.dynamo import Table

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    document = parse_document(text if text is not None else path.read_text())
    ConfigurationLoader(Table(dynamodb, stack.ledger_table), Table(dynamodb, stack.config_table), stack.secret).load(
        document
    )


# -- the ledger, read through its adapter (no test knows the item layout) --------------------------
def ledger_of(stack: Stack) -> Any:
    from rewards.adapters.dynamo import Table
    from rewards.adapters.dynamo_ledger import DynamoLedger

    return DynamoLedger(Table(stack.client("dynamodb"), stack.ledger_table))


def pool_entries(stack: Stack, pool_id: str) -> list[Any]:
    """The pool's ledger entries (records.LedgerEntry), oldest first."""
    return list(ledger_of(stack).pool_ledger(pool_id).entries)


def committed_events(stack: Stack, event_type: str | None = None) -> list[Any]:
    """Every committed event the outbox items of the ledger table hold (events.CommittedEvent)."""
    from rewards.adapters.dynamo import from_item

    found = []
    ledger = ledger_of(stack)
    for raw in ledger_items(stack):
        read = ledger.committed_event(from_item(raw))
        if read is not None and (event_type is None or read[0].eventType == event_type):
            found.append(read[0])
    return sorted(found, key=lambda event: event.occurredAt)


def account_authorizations(stack: Stack, account_id: str) -> list[Any]:
    """Every stored authorization of the account (records.StoredAuthorization), newest first."""
    from datetime import date

    from rewards.records import AuthorizationQuery

    query = AuthorizationQuery(account_id, date(2000, 1, 1), date(2100, 1, 1), frozenset("REI"), True, 5000)
    return list(ledger_of(stack).authorizations(query).authorizations)


def grow_history(stack: Stack, account_id: str, count: int, after: int = 0) -> list[str]:
    """``count`` copies of the account's first authorization, a minute apart going back in time
    (about 3.5 days for 5,000), recorded through the ledger adapter as processing would; their
    external ids, newest first. ``after``: how many copies an earlier call made."""
    from dataclasses import replace
    from datetime import timedelta

    from rewards.ids import authorization_id, new_token, new_uuid
    from rewards.records import NewAuthorization, Origin
    from rewards.rules.dates import business_date

    ledger = ledger_of(stack)
    seed = account_authorizations(stack, account_id)[0]
    [event] = [e for e in committed_events(stack, "pwr.authorization.processed") if e.data.authorizationId == seed.id]
    account, pool = ledger.account(account_id), ledger.pool(seed.pool_id)
    external_ids = []
    for n in range(after + 1, after + count + 1):
        external_id = f"H{n:09d}"
        business_key = Origin(seed.origin, seed.client_id).business_key(external_id)
        moment = seed.fields.transactionDateAndTime - timedelta(minutes=n)
        stored = replace(
            seed,
            id=authorization_id(business_key),
            business_key=business_key,
            external_id=external_id,
            fields=seed.fields.model_copy(update={"transactionDateAndTime": moment}),
        )
        data = event.data.model_copy(update={"authorizationId": stored.id, "externalId": external_id})
        copy = event.model_copy(update={"eventId": new_uuid(), "data": data})
        new = NewAuthorization(stored, account, business_date(moment, "UTC"), pool, None, False, copy, new_token())
        ledger.record_authorization(new)
        external_ids.append(external_id)
    return external_ids
