"""The command-line client as a user runs it: JSON alone on stdout, one line for a mistake, quiet
on a closed pipe, headers sent and shown, ids saved for the next call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from tools.local.stack import LocalStack
from tools.samtemplate import ROOT

pytestmark = pytest.mark.e2e

GIFT_CARD = {
    "redemptionType": "MERCHANDISE",
    "userId": "RANACBOB00001",
    "userIdType": "RANAC",
    "items": [{"paymentOption": "POINTS_ONLY", "cashEquivalent": "1", "redemptionItemId": "19068"}],
}


def client(stack: LocalStack, *args: str, input_file: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REWARDS_BASE_URL": stack.url, "REWARDS_STATE_DIR": str(stack.options.state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "tools.local.client", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_stdout_is_the_json_answer_and_the_status_goes_to_stderr(local_stack: LocalStack):
    done = client(local_stack, "GET", "/redeemers/RANACALICE0001", "-q", "redemption_type=PWR", "-i")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["userId"] == "RANACALICE0001"
    status, *headers = done.stderr.splitlines()
    assert status == "HTTP 200" and any(h.lower().startswith("content-type: application/json") for h in headers)


def test_a_header_is_sent_and_an_id_saved_for_the_next_call(local_stack: LocalStack):
    order = ["POST", "/redemptions", "-d", json.dumps(GIFT_CARD), "-H", "Idempotency-Key: client-test-1"]
    first = client(local_stack, *order, "--save", "RID=items[0].redemptionId", "--save", "UUID=id")
    assert first.returncode == 0, first.stderr
    answer: dict[str, Any] = json.loads(first.stdout)
    assert f"saved RID={answer['items'][0]['redemptionId']} UUID={answer['id']}" in first.stderr
    again = client(local_stack, *order)
    assert json.loads(again.stdout)["id"] == answer["id"]  # the same Idempotency-Key: the first answer

    credit = client(local_stack, "POST", "/redemptions/{RID}/credits", "-d", '{"pointsCredited": 1}')
    assert credit.returncode == 0, credit.stdout + credit.stderr
    assert json.loads(credit.stdout)["redemptionId"] == answer["items"][0]["redemptionId"]


def test_an_http_error_exits_1_with_the_envelope_on_stdout(local_stack: LocalStack):
    done = client(local_stack, "GET", "/redeemers/NOSUCHRANAC01", "-q", "redemption_type=PWR")
    assert done.returncode == 1 and done.stderr.startswith("HTTP 404")
    assert json.loads(done.stdout)["Errors"]["Error"][0]["ReasonCode"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["GET", "redeemers/RANACALICE0001"], "the path starts with /"),
        (["POST", "/redemptions", "--json", "no-such-order.json"], "no-such-order.json: No such file or directory"),
        (["GET", "/redeemers/RANACALICE0001", "--key-file", "README.md"], "not an unencrypted PEM private key"),
        (["GET", "/redeemers/RANACALICE0001", "--client", "nobody"], "the local key does not sign as nobody"),
        (["POST", "/redemptions/{NEVER_SAVED}/credits"], "nothing saved as NEVER_SAVED"),
        (["POST", "/redemptions", "-d", "{not json"], "the body is not JSON"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(local_stack: LocalStack, args: list[str], says: str):
    done = client(local_stack, *args)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert says in line


def test_a_closed_pipe_ends_the_output_quietly():
    script = "from tools.local.client import write_out; write_out('x' * 1_000_000)"
    done = subprocess.run(
        ["bash", "-c", f'{sys.executable} -c "{script}" | head -c 10 >/dev/null; echo "${{PIPESTATUS[0]}}"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "0" and "Traceback" not in done.stderr and done.stderr == ""
