"""Test helpers: load handlers by their template logical id, build events, a Lambda context."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import sys
from dataclasses import dataclass, field
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


def invoke(logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """Call a function as Lambda would. An authorizer context written by hand (clientId, no
    bodyHash) gets the hash of the event's body, as the request authorizer would have passed it."""
    context = event.get("requestContext", {}).get("authorizer", {}).get("lambda")
    if context is not None and context.get("clientId") and "bodyHash" not in context:
        context["bodyHash"] = body_hash((event.get("body") or "").encode())
    module = handler_module(logical_id)
    _, function = handler_path(logical_id)
    return getattr(module, function)(event, LambdaContext(function_name=logical_id))


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
    secret = secrets.token_hex(32)
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name=PAN_KEY_PARAM, Value=secret, Type="SecureString")
    for logical_id in resources("AWS::Serverless::Function"):
        os.environ.update(resolver.function_environment(logical_id))
    return Stack(resolver, tables, queues, topics, secret.encode())


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
