"""Generated files (docs/openapi.yaml, env.local.json) must not drift from the code and the template."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import yaml
from tools.local import openapi
from tools.samtemplate import http_routes

pytestmark = pytest.mark.e2e


def test_committed_openapi_matches_the_code():
    assert openapi.OPENAPI_FILE.read_text() == openapi.render(), "docs/openapi.yaml is stale: run `make openapi`"


def test_openapi_has_exactly_the_template_routes_with_envelope_errors():
    document = yaml.safe_load(openapi.OPENAPI_FILE.read_text())
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented == {(route.method, route.path) for route in http_routes()}
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for ops in document["paths"].values():
        for operation in ops.values():
            errors = {status: r for status, r in operation["responses"].items() if not status.startswith("2")}
            assert {"400", "401", "404"} <= set(errors)
            assert all(r["content"]["application/json"]["schema"] == envelope for r in errors.values()), errors


def document_examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example of a parameter, a request body or an answer."""
    for path, ops in document["paths"].items():
        for method, operation in ops.items():
            for parameter in operation.get("parameters", []):
                if "example" in parameter:
                    yield f"{method} {path} {parameter['name']}", parameter["schema"], parameter["example"]
            media = [("request", operation.get("requestBody", {}).get("content", {}).get("application/json", {}))]
            for status, answer in operation["responses"].items():
                media.append((status, answer.get("content", {}).get("application/json", {})))
            for part, content in media:
                for name, example in content.get("examples", {}).items():
                    yield f"{method} {path} {part} {name}", content["schema"], example["value"]


def test_every_example_validates_against_its_schema():
    document = yaml.safe_load(openapi.OPENAPI_FILE.read_text())
    examples = list(document_examples(document))
    for where, schema, value in examples:
        rooted = {**schema, "components": document["components"]}  # so that #/components/... resolves
        errors = [e.message for e in jsonschema.Draft202012Validator(rooted).iter_errors(value)]
        assert not errors, f"{where}: {errors}"
    names = {where for where, _, _ in examples}
    seed = {"cashback", "merchandise", "external", "travel", "points-only", "cash-only", "points-and-cash"}
    assert {f"post /redemptions request seed-{name}" for name in seed} <= names
    assert {f"post /redemptions 200 seed-{name}" for name in ("cashback", "merchandise", "external", "travel")} <= names


def test_every_operation_has_a_filled_in_example():
    """Swagger UI's "Try it out" starts from these: a body example where there is a body, and one for
    every required parameter."""
    document = yaml.safe_load(openapi.OPENAPI_FILE.read_text())
    for path, ops in document["paths"].items():
        for method, operation in ops.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            assert body is None or body.get("examples"), f"{method} {path}: no body example"
            for parameter in operation.get("parameters", []):
                if parameter.get("required"):
                    assert "example" in parameter, f"{method} {path} {parameter['name']}: no example"


def test_mastercard_narrowing_and_extensions_are_marked():
    schemas = yaml.safe_load(openapi.OPENAPI_FILE.read_text())["components"]["schemas"]
    request = schemas["AuthorizationRequest"]["properties"]
    assert request["merchantCategoryCode"]["x-narrowed"] and request["merchantCategoryCode"]["maxLength"] == 4
    assert request["merchantCountry"]["x-extension"]
    profile = schemas["RedeemerProfile"]["properties"]
    assert profile["wholePointsOnly"]["x-extension"] and "CompositeConversionFactors" in profile


def test_committed_sam_local_env_vars_match_the_template():
    from tools.local import samlocal

    assert samlocal.ENV_FILE.read_text() == samlocal.render(), "env.local.json is stale: python -m tools.local.samlocal"
