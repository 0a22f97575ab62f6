"""Generated files (docs/openapi.yaml, env.local.json) must not drift from the code and the template."""

from __future__ import annotations

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
    for ops in document["paths"].values():
        for operation in ops.values():
            assert "422" not in operation["responses"]
            assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorEnvelope"
            }


def test_committed_sam_local_env_vars_match_the_template():
    from tools.local import samlocal

    assert samlocal.ENV_FILE.read_text() == samlocal.render(), "env.local.json is stale: python -m tools.local.samlocal"
