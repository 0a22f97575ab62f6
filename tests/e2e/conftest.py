"""The local stack, started once per session on ephemeral ports, and a signed HTTP client for it."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from tools.local.client import Reply, send
from tools.local.keys import CONSUMER_KEY, ensure_keys
from tools.local.signing import load_private_key
from tools.local.stack import LocalStack, StackOptions
from tools.samtemplate import REGION, resources

from rewards.observability import logger
from tests.support import DEMO_CONFIG

pytestmark = pytest.mark.e2e

MERCHANT_KEY = "demo-merchant-key!local"


def merchant_config(state_dir: Path) -> Path:
    """The demo configuration with the local public key also registered for demo-merchant."""
    _, public_pem = ensure_keys(state_dir)
    document = yaml.safe_load(DEMO_CONFIG.read_text())
    for client in document["clients"]:
        if client["clientId"] == "demo-merchant":
            client["consumerKeys"] = [{"consumerKey": MERCHANT_KEY, "publicKeyPem": public_pem, "active": True}]
    path = state_dir / "merchant-config.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@dataclass
class Api:
    stack: LocalStack
    signing_key: Any

    def __call__(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None, *, signed: bool = True
    ) -> Reply:
        text = body if isinstance(body, str) or body is None else json.dumps(body)
        return send(
            self.stack.url,
            method,
            path,
            body=text,
            query=list((query or {}).items()),
            consumer_key=CONSUMER_KEY,
            signing_key=self.signing_key if signed else None,
        )


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    options = StackOptions(
        port=0,
        moto_port=0,
        webhook_port=0,  # a free port: the demo client's webhook is pointed at it
        prefix=f"e2e-{uuid.uuid4().hex[:8]}",
        state_dir=tmp_path_factory.mktemp("local"),
    )
    with LocalStack(options) as stack:
        yield stack


@pytest.fixture(scope="session")
def functions_log() -> Iterator[io.StringIO]:
    """Everything the functions log while the end-to-end tests run (through the masking formatter)."""
    handler = logger.registered_handler
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    yield stream
    handler.setStream(previous)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def no_card_number_leaves_the_request(request: pytest.FixtureRequest, functions_log: io.StringIO) -> Iterator[None]:
    """After each end-to-end test, while its stack is intact, sweep it for demo card numbers."""
    yield
    if "local_stack" in request.fixturenames:
        leaks = card_number_leaks(request.getfixturevalue("local_stack"), functions_log.getvalue())
        assert not leaks, f"full card numbers left the request: {leaks}"


# Card numbers the end-to-end tests type into free-text fields, in these forms (test_card_numbers.py).
FREE_TEXT_CARDS = ("4000056655665556", "5105105105105100", "378282246310005")


def written_forms(card: str) -> list[str]:
    """A card number as one run, in groups of four with spaces, and with dashes."""
    groups = [card[i : i + 4] for i in range(0, len(card), 4)]
    return [card, " ".join(groups), "-".join(groups)]


def card_number_leaks(stack: LocalStack, log_text: str) -> list[tuple[str, str]]:
    """Where a demo card number, or one typed into a free-text field, appears in clear (as one run,
    spaced or dashed) after every end-to-end test of this session: log lines, every table item,
    every published event, every email, the webhook and notifier queues. (The authorization queue
    carries the network's own copies, with the card number.)"""
    cards = [a["cardNumber"] for u in yaml.safe_load(DEMO_CONFIG.read_text())["users"] for a in u["accounts"]]
    forms = [form for card in {*cards, *FREE_TEXT_CARDS} for form in written_forms(card)]
    assert stack.resolver is not None
    session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION)
    dynamodb = session.client("dynamodb", endpoint_url=stack.moto_url)
    sqs = session.client("sqs", endpoint_url=stack.moto_url)
    places: dict[str, str] = {"logs": log_text}
    for logical_id in resources("AWS::DynamoDB::Table"):
        items = dynamodb.scan(TableName=stack.resolver.physical_name(logical_id)).get("Items", [])
        places[logical_id] = json.dumps(items)
    for logical_id in resources("AWS::SNS::Topic"):
        places[logical_id] = json.dumps(stack.view.published_events(stack.resolver.arn(logical_id)))
    places["emails"] = json.dumps([vars(e) for e in stack.view.emails()], default=str)
    for logical_id in resources("AWS::SQS::Queue"):
        if logical_id.startswith("Authorization"):
            continue
        url = stack.resolver.queue_url(logical_id)
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        places[logical_id] = json.dumps(messages.get("Messages", []))
    return [(form, where) for where, text in places.items() for form in forms if form in text]


@pytest.fixture(scope="session")
def api(local_stack: LocalStack) -> Api:
    assert local_stack.private_key is not None
    return Api(local_stack, load_private_key(local_stack.private_key))


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.2) -> Any:
    """The first truthy result of ``check``, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s (last result {result!r})")
        time.sleep(interval)
