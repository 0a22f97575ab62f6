"""Build docs/openapi.yaml from the API functions' routes and pydantic models, on Powertools' resolver.

python -m tools.local.openapi           # write docs/openapi.yaml
python -m tools.local.openapi --check   # exit 1 when the file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import yaml

from rewards.http import ANSWERS_EXTENSION
from tools.local import openapi_examples
from tools.local.functions import load_handler_module
from tools.local.powertools_app import PowertoolsApp
from tools.samtemplate import ROOT, http_routes, load

OPENAPI_FILE = ROOT / "docs" / "openapi.yaml"
TITLE = "Pay with Rewards + Digital Redemptions"
VERSION = "1.0.0"
SERVERS = [{"url": "http://127.0.0.1:3000", "description": "local stack (make run)"}]


def api_functions() -> list[str]:
    """Logical ids of the functions behind the template's HTTP API routes, in template order."""
    return list(dict.fromkeys(route.function for route in http_routes()))


ERROR_RESPONSES = {
    "400": "A missing or invalid field, named in Details",
    "401": "The request is not signed by a registered client",
    "404": "Unknown cardholder, authorization or route",
    "409": "The request conflicts with what is recorded (a key reused for another request, a record changed)",
    "422": "Well formed, refused by the rules (insufficient points, account not eligible); ReasonCode says which",
    "503": "Nothing was committed; Recoverable is true: send the same request again",
}
ALWAYS_ANSWERED = ("400", "401", "404")
TAGS = [
    {"name": "Redeemers", "description": "A cardholder's profile and points balance, for both products."},
    {
        "name": "Pay with Rewards",
        "description": "Preferences, authorizations (the network's copies and Post Auth), redemption after the fact.",
    },
    {
        "name": "Digital Redemptions",
        "description": "Redeem points at checkout for cashback, merchandise and travel; reverse; history.",
    },
]
# Bodies the handlers validate themselves (a discriminated union, an optional body): documented from their models.
PARSED_BODIES = {
    ("post", "/redemptions"): ("REDEMPTION_REQUEST", True),
    ("post", "/redemptions/{id}/credits"): ("CreditRequest", False),
}
SECURITY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "Authorization",
    "description": "OAuth 1.0a, RSA-SHA256 with oauth_body_hash, as Mastercard's client libraries sign requests.",
}


def _error_envelope(schemas: dict[str, Any]) -> dict[str, str]:
    """Add the Mastercard error envelope to the schemas; a reference to it."""
    from rewards.models.errors import ErrorEnvelope

    schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas["ErrorEnvelope"] = schema
    return {"$ref": "#/components/schemas/ErrorEnvelope"}


def _with_envelope_errors(operation: dict[str, Any], envelope: dict[str, str]) -> dict[str, Any]:
    """Every error status a route answers (400, 401, 404 and its ``answers(...)``), in the envelope.
    Powertools' own 422 (its validation shape) is never answered: bad input is a 400."""
    operation = dict(operation)
    answered = [*ALWAYS_ANSWERED, *(str(s) for s in operation.pop(ANSWERS_EXTENSION, []))]
    responses = {k: v for k, v in operation.get("responses", {}).items() if k != "422"}
    for status in answered:
        content = {"application/json": {"schema": dict(envelope)}}
        responses[status] = {"description": ERROR_RESPONSES[status], "content": content}
    return {**operation, "responses": dict(sorted(responses.items())), "security": [{"MastercardOAuth1": []}]}


def _one_name_per_model(document: dict[str, Any]) -> dict[str, Any]:
    """A model that validates and serializes differently appears twice (Foo-Input, Foo-Output) with
    one title; generators name models by title, so each keeps its own (FooInput, FooOutput)."""
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if name.endswith(("-Input", "-Output")):
            schema["title"] = name.replace("-", "")
    return document


def _parsed_body(name: str, required: bool, schemas: dict[str, Any]) -> dict[str, Any]:
    from pydantic import TypeAdapter

    from rewards.models import dr

    model = getattr(dr, name)
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    schema = adapter.json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    title = "RedemptionRequest" if name == "REDEMPTION_REQUEST" else name
    schemas[title] = schema
    ref = {"$ref": f"#/components/schemas/{title}"}
    return {"required": required, "content": {"application/json": {"schema": ref}}}


def _with_examples(method: str, path: str, operation: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Request bodies the handlers parse themselves, and examples for Swagger UI's "Try it out"."""
    operation = dict(operation)
    if (method, path) in PARSED_BODIES:
        operation["requestBody"] = _parsed_body(*PARSED_BODIES[(method, path)], schemas)
    examples = openapi_examples.parameters()
    for parameter in operation.get("parameters", []):
        if (method, path, parameter["name"]) in examples:
            parameter["example"] = examples[(method, path, parameter["name"])]
    bodies = openapi_examples.bodies().get((method, path))
    if bodies:
        operation["requestBody"]["content"]["application/json"]["examples"] = bodies
    answers = openapi_examples.responses().get((method, path))
    if answers:
        operation["responses"]["200"]["content"]["application/json"]["examples"] = answers
    return operation


def build() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for logical_id in api_functions():
        app = PowertoolsApp(load_handler_module(logical_id).app)
        document = _one_name_per_model(json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION)))
        for path, operations in document.get("paths", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(document.get("components", {}).get("schemas", {}))
    envelope = _error_envelope(schemas)
    paths = {
        p: {m: _with_envelope_errors(_with_examples(m, p, op, schemas), envelope) for m, op in ops.items()}
        for p, ops in paths.items()
    }
    for unused in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):  # Powertools 422 shapes
        if f"#/components/schemas/{unused}" not in json.dumps(paths):
            schemas.pop(unused, None)
    description = " ".join(str(load().get("Description", "")).split())
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": description},
        "servers": SERVERS,
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"MastercardOAuth1": SECURITY_SCHEME},
        },
    }


def render() -> str:
    header = "# Generated from the functions' routes and models by `make openapi`. Do not edit.\n"
    return header + yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OPENAPI_FILE.read_text() if OPENAPI_FILE.exists() else ""
        if current != text:
            print(f"{OPENAPI_FILE.relative_to(ROOT)} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    OPENAPI_FILE.parent.mkdir(exist_ok=True)
    OPENAPI_FILE.write_text(text)
    print(f"wrote {OPENAPI_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
