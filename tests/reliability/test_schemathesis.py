"""Bad input at scale: schemathesis cases from docs/openapi.yaml, positive and negative, for every
operation, signed with OAuth 1.0a and sent over HTTP to a local stack (gateway + authorizer +
functions + moto server). Every answer must be below 500; every 4xx from a function must be the
Mastercard envelope; a refused request must not write to the ledger or configuration tables.

The stack runs without pollers, so every write to those tables during a request is the request's own
(the authorizer's nonce table is not watched: it records every signed request by design).

    SCHEMATHESIS_EXAMPLES=400 .venv/bin/pytest tests/reliability/test_schemathesis.py   # more cases
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.client
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from tools.local.client import Reply, send
from tools.local.keys import CONSUMER_KEY
from tools.local.signing import load_private_key
from tools.local.stack import LocalStack, StackOptions
from tools.samtemplate import ROOT

from rewards.models.errors import ErrorEnvelope
from tests.e2e.conftest import MERCHANT_KEY, merchant_config

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "80"))  # per operation, mode and path-id choice
MIN_REQUESTS = 2_000
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
ENVELOPE_ITEM_KEYS = {"Source", "ReasonCode", "Description", "Recoverable", "Details"}
# Real ids for path parameters, so generated bodies and queries reach the use cases behind the 404s.
KNOWN_IDS = {
    "/redeemers/{id}": "RANACALICE0001",
    "/redeemers/{id}/preferences": "RANACBOB00001",
}
DR_PATHS = ("/redemptions", "/redemptions/{id}/credits", "/redemptions/{id}/status")
REDEMPTION_LINE_PATHS = ("/redemptions/{id}/credits", "/redemptions/{id}/status")
SEED_CARDHOLDER = "220094110178641288073796026652"  # PWRDEMO, 50,000 points
TRAVEL_CARDHOLDER = "781083548024764388823967569513"  # DRTRAVEL: whole points, item 50243
LINE_POINTS = 5  # each line: 5 points of an item at $1 a point (65973, 59897, DRTRAVEL's 50243)
CASHBACK_POINTS, CASHBACK_CASH = 50, 1.5  # 41275 at $0.03 a point


def aimed_at_cardholders(case: schemathesis.Case) -> schemathesis.Case:
    """A generated DR redemption body, valid by the schema, pointed at a demo cardholder and catalog
    items of their program, with points and cash that agree and a balance that covers them: such
    cases reach the rules and the ledger instead of ending at an unknown cardholder."""
    body = case.body
    if not isinstance(body, dict):
        return case
    kind = body.get("redemptionType")
    travel = kind == "TRAVEL"
    for key in ("userId", "cashbackAccountId"):
        if key in body:
            body[key] = TRAVEL_CARDHOLDER if travel else SEED_CARDHOLDER
    items = [item for item in body.get("items") or [] if isinstance(item, dict)]
    for item in items:
        if kind == "CASHBACK":
            item.update(redemptionMatrixItemId="41275", pointsRedeemed=CASHBACK_POINTS, cashbackAmount=CASHBACK_CASH)
            continue
        if travel:
            item.pop("redemptionMatrixItemId", None)
            item["redemptionItemId"] = "50243"
        else:
            if "redemptionMatrixItemId" in item:
                item["redemptionMatrixItemId"] = "59897"
            if "redemptionItemId" in item:
                item["redemptionItemId"] = "65973"
        if "pointsRedeemed" in item:
            item["pointsRedeemed"] = LINE_POINTS
        if "cashEquivalent" in item:
            item["cashEquivalent"] = str(LINE_POINTS)
        if isinstance(item.get("additionalDetails"), dict):
            item["additionalDetails"].setdefault("itemSkuCode", "SKU1")
            body["sourceCode"] = "EC"
    if travel and "pointsRedeemed" in body:
        body["pointsRedeemed"] = LINE_POINTS * len(items)
    return case


# -- writes made while a request runs ---------------------------------------------------
class WriteLog:
    """Successful DynamoDB writes per table, recorded by wrapping botocore's one call path."""

    def __init__(self, watched: set[str]) -> None:
        self.watched = watched
        self.writes: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def record(self, operation: str, params: dict[str, Any]) -> None:
        tables = set()
        if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            tables.add(params.get("TableName", ""))
        elif operation == "BatchWriteItem":
            tables.update(params.get("RequestItems", {}))
        elif operation == "TransactWriteItems":
            for action in params.get("TransactItems", []):
                tables.update(body.get("TableName", "") for body in action.values())
        with self._lock:
            self.writes.extend((operation, table) for table in tables & self.watched)

    def mark(self) -> int:
        with self._lock:
            return len(self.writes)

    def since(self, mark: int) -> list[tuple[str, str]]:
        with self._lock:
            return self.writes[mark:]


@pytest.fixture(scope="module")
def write_log(fuzz_stack: FuzzStack) -> Iterator[WriteLog]:
    log = WriteLog({fuzz_stack.stack.tables["LedgerTable"], fuzz_stack.stack.tables["ConfigTable"]})
    original = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
        result = original(client, operation, params)
        if operation in WRITES:
            log.record(operation, params)
        return result

    botocore.client.BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield log
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


# -- the stack, with a second signing key for the merchant client -------------------------
@dataclass
class FuzzStack:
    stack: LocalStack
    signing_key: Any

    def send(self, consumer_key: str, method: str, path: str, query: list[tuple[str, str]], text: str | None) -> Reply:
        return send(
            self.stack.url,
            method,
            path,
            body=text,
            query=query,
            consumer_key=consumer_key,
            signing_key=self.signing_key,
        )


@pytest.fixture(scope="module")
def redemption_line(fuzz_stack: FuzzStack) -> str:
    """A real redemption line of the merchant's, for the credit and status operations to reach."""
    seed = {
        "redemptionType": "MERCHANDISE",
        "userId": SEED_CARDHOLDER,
        "userIdType": "RANAC",
        "items": [{"paymentOption": "POINTS_ONLY", "pointsRedeemed": 5000, "redemptionMatrixItemId": "41275"}],
    }
    reply = fuzz_stack.send(MERCHANT_KEY, "POST", "/redemptions", [], json.dumps(seed))
    assert reply.status == 200, reply.text
    return str(json.loads(reply.text)["items"][0]["redemptionId"])


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzStack]:
    state_dir = tmp_path_factory.mktemp("fuzz")
    options = StackOptions(
        port=0,
        moto_port=0,
        webhook_port=None,
        pollers=False,
        prefix=f"fuzz-{uuid.uuid4().hex[:8]}",
        state_dir=state_dir,
        config=merchant_config(state_dir),
    )
    with LocalStack(options) as stack:
        assert stack.private_key is not None
        yield FuzzStack(stack, load_private_key(stack.private_key))


# -- turning a case into a signed request --------------------------------------------------
def query_pairs(query: dict[str, Any] | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in (query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            text = json.dumps(item) if isinstance(item, (bool, dict)) else str(item)
            pairs.append((str(name), text))
    return pairs


def body_text(case: schemathesis.Case) -> str | None:
    if isinstance(case.body, schemathesis.core.NotSet):  # type: ignore[attr-defined]
        return None
    if isinstance(case.body, bytes):  # a non-JSON media type: sent as text (the gateway reads text)
        return case.body.decode("latin-1")
    return case.body if isinstance(case.body, str) else json.dumps(case.body)


def assert_envelope(reply: Reply) -> None:
    document = json.loads(reply.text)
    assert set(document) == {"Errors"} and set(document["Errors"]) == {"Error"}, document
    envelope = ErrorEnvelope.model_validate(document)
    for raw in document["Errors"]["Error"]:
        assert set(raw) <= ENVELOPE_ITEM_KEYS, raw
    for item in envelope.Errors.Error:
        assert item.Source and item.ReasonCode and item.Description, document


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


def exercise(
    fuzz: FuzzStack, log: WriteLog, tally: Tally, label: str, consumer_key: str, case: schemathesis.Case
) -> None:
    text = body_text(case)
    mark = log.mark()
    reply = fuzz.send(consumer_key, case.method, case.formatted_path, query_pairs(case.query), text)
    tally.statuses[(label, reply.status)] += 1
    what = f"{case.method} {case.formatted_path} {case.query} {text!r:.300} -> {reply.status} {reply.text:.300}"
    if reply.status >= 500:
        tally.problems.append(f"5xx: {what}")
    elif reply.status >= 400:
        if reply.status not in {401, 403} or "Errors" in reply.text:
            try:
                assert_envelope(reply)
            except (AssertionError, ValueError) as error:
                tally.problems.append(f"not the envelope ({error}): {what}")
        if written := log.since(mark):
            tally.problems.append(f"refused but wrote {written}: {what}")


def run_cases(strategy: Any, check: Any) -> None:
    @settings(
        max_examples=EXAMPLES,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def each(case: schemathesis.Case) -> None:
        check(case)

    each()


def test_generated_requests_never_fail_the_server_nor_the_envelope_nor_the_ledger(
    fuzz_stack, redemption_line, write_log
):
    schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
    tally = Tally()
    known_ids = {**KNOWN_IDS, **dict.fromkeys(REDEMPTION_LINE_PATHS, redemption_line)}
    for result in schema.get_all_operations():
        operation = result.ok()
        consumer_key = MERCHANT_KEY if operation.path in DR_PATHS else CONSUMER_KEY
        id_choices: list[dict[str, Any] | None] = [None]
        if operation.path in known_ids:
            id_choices.append({"id": known_ids[operation.path]})
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in id_choices:
                label = (
                    f"{operation.method.upper()} {operation.path} {mode.value}{' known-id' if path_parameters else ''}"
                )
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
                if mode is GenerationMode.POSITIVE and operation.path == "/redemptions" and operation.method == "post":
                    strategy = strategy.map(aimed_at_cardholders)
                run_cases(
                    strategy,
                    lambda case, label=label, key=consumer_key: exercise(
                        fuzz_stack, write_log, tally, label, key, case
                    ),
                )

    report = "\n".join(f"{count:5d}  {label} -> {status}" for (label, status), count in sorted(tally.statuses.items()))
    assert not tally.problems, "\n".join(tally.problems[:20]) + "\n" + report
    assert tally.total >= MIN_REQUESTS, report
    authorized = sum(count for (_, status), count in tally.statuses.items() if status not in {401, 403})
    assert authorized >= 0.9 * tally.total, f"too many refused by the authorizer:\n{report}"
    # Generated ids and bodies mostly end in validation or 404; with the known ids these must succeed.
    reached = {" ".join(label.split(" ")[:2]) for (label, status) in tally.statuses if status < 300}
    assert reached >= {
        "GET /redeemers/{id}",
        "GET /redeemers/{id}/preferences",
        "PUT /redeemers/{id}/preferences",
        "POST /redemptions",
        "POST /redemptions/{id}/credits",
        "PUT /redemptions/{id}/status",
    }, report
    # Positive redemption bodies reach real cardholders: a fair share is redeemed, not refused.
    redeemed = tally.statuses[("POST /redemptions positive", 200)]
    assert redeemed >= 0.1 * EXAMPLES, report
    answered = {" ".join(label.split(" ")[:2]) for label, _ in tally.statuses}
    assert len(answered) == len(list(schema.get_all_operations())), report
