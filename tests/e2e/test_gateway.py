"""The local gateway behaves as API Gateway does around the functions."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest
from tools.local.moto_server import PortInUse, ensure_free
from tools.local.stack import LocalStack
from tools.samtemplate import ROOT

from tests.e2e.conftest import Api

pytestmark = pytest.mark.e2e


def test_unknown_route_is_404_in_the_mastercard_envelope(api: Api):
    reply = api("GET", "/no/such/route")
    assert reply.status == 404
    [error] = reply.json()["Errors"]["Error"]
    assert (error["Source"], error["ReasonCode"]) == ("Gateway", "NOT_FOUND")


def test_declared_path_with_an_undeclared_method_is_404(api: Api):
    assert api("DELETE", "/authorizations").status == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/redeemers/RANACALICE0001", None),
        ("POST", "/redemptions", {"redemptionType": "CASHBACK"}),
        ("GET", "/no/such/route", None),  # the $default route: the authorizer runs there too
    ],
)
def test_an_unsigned_request_is_refused_in_the_mastercard_envelope(api: Api, method, path, body):
    reply = api(method, path, body, query={"redemption_type": "PWR"} if method == "GET" else None, signed=False)
    assert reply.status == 401
    [error] = reply.json()["Errors"]["Error"]
    assert (error["Source"], error["ReasonCode"]) == ("Gateway", "MISSING_SIGNATURE")
    assert set(error) == {"Source", "ReasonCode", "Description", "Recoverable", "Details"}


def test_tampered_body_does_not_reach_the_account(api: Api):
    signed_for = '{"preferences": {"redemptionFrequency": "OFF"}}'
    reply = api("PUT", "/redeemers/RANACBOB00001/preferences", signed_for, {"redemption_type": "PWR"})
    assert reply.status == 200, reply.text
    from tools.local.signing import authorization_header

    url = f"{api.stack.url}/redeemers/RANACBOB00001/preferences?redemption_type=PWR"
    header = authorization_header("PUT", url, signed_for, "demo-issuer-key!local", api.signing_key)
    tampered = signed_for.replace("OFF", "MULT").encode()
    request = urllib.request.Request(
        url, data=tampered, method="PUT", headers={"authorization": header, "content-type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    current = api("GET", "/redeemers/RANACBOB00001/preferences", query={"redemption_type": "PWR"}).json()
    assert current["redemptionFrequency"] == "OFF"


def test_openapi_and_swagger_ui_are_served(local_stack: LocalStack):
    with urllib.request.urlopen(f"{local_stack.url}/openapi.yaml", timeout=10) as response:
        assert b"/authorizations/{id}/reprocess" in response.read()
    with urllib.request.urlopen(f"{local_stack.url}/docs", timeout=10) as response:
        page = response.read().decode()
    assert "SwaggerUIBundle" in page and "/redeemers/{id}/preferences" in page


def test_a_used_port_fails_with_a_clear_message_and_exit_code_2(local_stack: LocalStack):
    port = int(local_stack.url.rsplit(":", 1)[1])
    with pytest.raises(PortInUse, match=f"port {port}"):
        ensure_free("127.0.0.1", port, "gateway")
    result = subprocess.run(
        [sys.executable, "-m", "tools.local", "--port", str(port), "--moto-port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"gateway port {port} on 127.0.0.1 is already in use" in result.stderr


def test_make_run_rolls_back_by_items_and_queues_a_burst_of_connections(api: Api):
    """moto's memory grew 398 MB -> 2.2 GB over 100 redemptions with whole-table copies, and
    socketserver's backlog of 5 reset bursts of concurrent clients (make soak: 100 at once)."""
    from tools.local.__main__ import parse_args

    assert parse_args([]).item_level_transactions is True
    assert parse_args(["--no-item-level-transactions"]).item_level_transactions is False
    assert api.stack.options.item_level_transactions is True
    assert api.stack.gateway is not None and api.stack.gateway.server.request_queue_size >= 100
