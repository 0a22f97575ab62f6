"""The reference point bank answers every documented status of docs/point-bank.openapi.yaml with a
body and headers that file defines, and nothing the file does not document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml
from openapi_spec_validator import validate
from tools.point_bank.faults import Fault

from tests.keys import new_key
from tests.point_bank_support import balance, call, credit, debit, running_bank

pytestmark = pytest.mark.integration

CONTRACT = Path(__file__).parents[2] / "docs" / "point-bank.openapi.yaml"
DOCUMENT: dict[str, Any] = yaml.safe_load(CONTRACT.read_text())
OPERATIONS = {"getBalance": ("get", "balance"), "debit": ("post", "debits"), "credit": ("post", "credits")}
KEY = new_key()


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = DOCUMENT["components"][section][name]
    return node


def operation(operation_id: str) -> dict[str, Any]:
    method, resource = OPERATIONS[operation_id]
    return DOCUMENT["paths"][f"/accounts/{{accountId}}/{resource}"][method]


def check_schema(schema: dict[str, Any], value: Any) -> None:
    rooted = {**schema, "components": DOCUMENT["components"]}
    errors = [e.message for e in jsonschema.Draft202012Validator(rooted).iter_errors(value)]
    assert not errors, errors


def check_answer(operation_id: str, answer: requests.Response) -> None:
    responses = operation(operation_id)["responses"]
    assert str(answer.status_code) in responses, f"{operation_id} answered undocumented {answer.status_code}"
    documented = resolve(responses[str(answer.status_code)])
    check_schema(documented["content"]["application/json"]["schema"], answer.json())
    for name, header in documented.get("headers", {}).items():
        if name in answer.headers:
            check_schema(resolve(header)["schema"], answer.headers[name])
    if answer.status_code == 200 and operation_id != "getBalance":
        assert answer.headers["Idempotent-Replayed"] == "true"


@pytest.fixture(scope="module")
def bank() -> Iterator[Any]:
    with running_bank(KEY, {"PWRBANK-POOL-1": "25000", "LOW": "500"}) as running:
        yield running


Case = Callable[[Any], requests.Response]


def unavailable(operation_name: str, then: Case) -> Case:
    def run(bank: Any) -> requests.Response:
        bank.faults.add(Fault("unavailable", frozenset({operation_name})))
        return then(bank)

    return run


def reused(first: Case, then: Case) -> Case:
    def run(bank: Any) -> requests.Response:
        assert first(bank).status_code == 201
        return then(bank)

    return run


def twice(first: Case) -> Case:
    def run(bank: Any) -> requests.Response:
        assert first(bank).status_code == 201
        return first(bank)

    return run


CASES: dict[tuple[str, int], Case] = {
    ("getBalance", 200): lambda b: balance(KEY, b, "PWRBANK-POOL-1"),
    ("getBalance", 400): lambda b: balance(KEY, b, "x" * 65),
    ("getBalance", 401): lambda b: call(None, "GET", f"{b.url}/accounts/PWRBANK-POOL-1/balance"),
    ("getBalance", 404): lambda b: balance(KEY, b, "NOPE"),
    ("getBalance", 503): unavailable("balance", lambda b: balance(KEY, b, "PWRBANK-POOL-1")),
    ("debit", 201): lambda b: debit(KEY, b, "PWRBANK-POOL-1", "7000", "d-201"),
    ("debit", 200): twice(lambda b: debit(KEY, b, "PWRBANK-POOL-1", "10", "d-200")),
    ("debit", 400): lambda b: debit(KEY, b, "PWRBANK-POOL-1", "-1", "d-400"),
    ("debit", 401): lambda b: call(
        None, "POST", f"{b.url}/accounts/LOW/debits", {"points": "1", "reference": "r"}, "k"
    ),
    ("debit", 404): lambda b: debit(KEY, b, "NOPE", "1", "d-404"),
    ("debit", 409): lambda b: debit(KEY, b, "LOW", "7000", "d-409"),
    ("debit", 422): reused(lambda b: debit(KEY, b, "LOW", "1", "d-422"), lambda b: debit(KEY, b, "LOW", "2", "d-422")),
    ("debit", 503): unavailable("debit", lambda b: debit(KEY, b, "LOW", "1", "d-503")),
    ("credit", 201): lambda b: credit(KEY, b, "LOW", "2500", "c-201"),
    ("credit", 200): twice(lambda b: credit(KEY, b, "LOW", "5", "c-200")),
    ("credit", 400): lambda b: credit(KEY, b, "LOW", "1.23456", "c-400"),
    ("credit", 401): lambda b: call(
        None, "POST", f"{b.url}/accounts/LOW/credits", {"points": "1", "reference": "r"}, "k"
    ),
    ("credit", 404): lambda b: credit(KEY, b, "NOPE", "1", "c-404"),
    ("credit", 422): reused(
        lambda b: credit(KEY, b, "LOW", "1", "c-422"), lambda b: credit(KEY, b, "LOW", "2", "c-422")
    ),
    ("credit", 503): unavailable("credit", lambda b: credit(KEY, b, "LOW", "1", "c-503")),
}


def test_the_contract_is_a_valid_openapi_document():
    validate(DOCUMENT)


def test_every_documented_status_has_a_case():
    documented = {(op, int(status)) for op in OPERATIONS for status in operation(op)["responses"]}
    assert documented == set(CASES)


@pytest.mark.parametrize(("operation_id", "status"), sorted(CASES))
def test_the_reference_bank_answers_as_documented(bank, operation_id, status):
    answer = CASES[(operation_id, status)](bank)
    assert answer.status_code == status, answer.text
    check_answer(operation_id, answer)


def test_the_request_examples_are_accepted_and_the_examples_validate(bank):
    for operation_id, (method, resource) in OPERATIONS.items():
        described = operation(operation_id)
        content = described.get("requestBody", {}).get("content", {}).get("application/json")
        for name, example in (content or {}).get("examples", {}).items():
            check_schema(content["schema"], example["value"])
            url = f"{bank.url}/accounts/PWRBANK-POOL-1/{resource}"
            answer = call(KEY, method.upper(), url, example["value"], f"example-{operation_id}-{name}")
            assert answer.status_code == 201, answer.text
            check_answer(operation_id, answer)
        for response in described["responses"].values():
            media = resolve(response).get("content", {}).get("application/json", {})
            for example in media.get("examples", {}).values():
                check_schema(media["schema"], example["value"])
