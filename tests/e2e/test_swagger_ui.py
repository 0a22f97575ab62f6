"""Swagger UI in a real headless Chromium: "Try it out" sends signed requests that answer 200."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from tools.local.stack import LocalStack, StackOptions

pytestmark = pytest.mark.e2e

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no Chromium: `make chromium` installs Debian's (or set CHROMIUM to a Chromium binary)")
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of its own: the redemptions this test makes touch no other test's cardholders."""
    options = StackOptions(
        port=0,
        moto_port=0,
        webhook_port=None,
        pollers=False,
        prefix=f"ui-{uuid.uuid4().hex[:8]}",
        state_dir=tmp_path_factory.mktemp("swagger"),
    )
    with LocalStack(options) as started:
        yield started


@pytest.fixture(scope="module")
def page(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh profile
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium(), args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            page.goto(f"{stack.url}/docs")
            page.wait_for_selector(".opblock")
            yield page
        finally:
            browser.close()


def execute(page: Any, operation_id: str) -> tuple[str, str]:
    """Open an operation, execute it with its examples, and read the answer's status and body."""
    operation = page.locator(f"#{operation_id}")
    operation.locator(".opblock-summary").click()
    operation.locator("button.execute").click()
    answer = operation.locator(".live-responses-table tbody")
    answer.locator(".response-col_status").wait_for(timeout=20_000)
    return answer.locator(".response-col_status").inner_text(), answer.locator(".microlight").first.inner_text()


def test_operations_are_grouped_by_product_area(page: Any):
    tags = [text.split("\n")[0] for text in page.locator(".opblock-tag").all_inner_texts()]
    assert tags == ["Redeemers", "Pay with Rewards", "Digital Redemptions"]


def test_try_it_out_reads_a_redeemer_signed_as_the_chosen_client(page: Any):
    assert page.locator("#signing-client option").all_inner_texts() == ["demo-issuer", "demo-merchant"]
    status, body = execute(page, "operations-Redeemers-get_redeemer_redeemers__id__get")
    assert status == "200", body
    assert '"userId": "RANACALICE0001"' in body


def test_try_it_out_redeems_points(page: Any):
    status, body = execute(page, "operations-Digital_Redemptions-post_redemption_redemptions_post")
    assert status == "200", body
    assert '"redemptionId"' in body and '"pointBalance": 9967' in body  # 12,000 - 2,033 for the $25 card
