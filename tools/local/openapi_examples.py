"""Examples for docs/openapi.yaml: the demo configuration's cardholders (config/demo.yaml) and the
Digital Redemptions sample requests of seed 003 (as tools/make_events.py keeps them).

Swagger UI fills "Try it out" with them, so each one, sent by the client it names, answers 200 on
the local stack. No card number appears: cardholders are named by RANAC or bank customer number.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import yaml

from tools.make_events import PURCHASE, SEED_REDEMPTIONS
from tools.samtemplate import ROOT

DEMO_CONFIG = ROOT / "config" / "demo.yaml"


@cache
def demo() -> dict[str, Any]:
    return dict(yaml.safe_load(DEMO_CONFIG.read_text()))


def account(user_id: str) -> dict[str, Any]:
    """The first account of a demo user (``alice``, ``carol``, ``seed-travel``, ...)."""
    [user] = [u for u in demo()["users"] if u["userId"] == user_id]
    return dict(user["accounts"][0])


def bank_customer_number(user_id: str) -> str:
    [user] = [u for u in demo()["users"] if u["userId"] == user_id]
    return str(user["bankCustomerNumber"])


def catalog_item(program_id: str, description: str) -> str:
    [program] = [p for p in demo()["programs"] if p["programId"] == program_id]
    [item] = [i for i in program["catalog"]["redemptionItems"] if i["description"] == description]
    return str(item["redemptionItemId"])


def _example(summary: str, value: Any) -> dict[str, Any]:
    return {"summary": summary, "value": value}


def parameters() -> dict[tuple[str, str, str], Any]:
    """(method, path, parameter) -> example value; a date parameter's example is today's date locally."""
    alice, carol = account("alice")["accountId"], account("carol")["accountId"]
    return {
        ("get", "/redeemers/{id}", "id"): alice,
        ("get", "/redeemers/{id}", "redemption_type"): "PWR",
        ("get", "/redeemers/{id}/preferences", "id"): carol,
        ("get", "/redeemers/{id}/preferences", "redemption_type"): "PWR",
        ("put", "/redeemers/{id}/preferences", "id"): carol,
        ("put", "/redeemers/{id}/preferences", "redemption_type"): "PWR",
        ("get", "/authorizations", "user_id"): alice,
        ("get", "/authorizations", "from_date"): "2026-01-01",
        ("get", "/authorizations", "to_date"): "2026-12-31",
        ("get", "/authorizations", "include_reprocessed"): True,
        ("get", "/authorizations", "pwr_filter_categories"): "R,E",
        ("get", "/redemptions", "user_id"): alice,
        ("get", "/redemptions", "from_date"): "2026-01-01",
        ("get", "/redemptions", "to_date"): "2026-12-31",
    }


def seed_redemptions() -> dict[str, dict[str, Any]]:
    """Seed 003's sample requests; TRAVEL is for a DRTRAVEL cardholder, so demo-merchant sends it."""
    travel_note = " (sign as demo-merchant: the program is DRTRAVEL)"
    return {
        f"seed-{name}": _example(f"seed 003 {name} sample{travel_note if name == 'travel' else ''}", json.loads(text))
        for name, text in SEED_REDEMPTIONS.items()
    }


def bodies() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """(method, path) -> named request body examples; the first is what "Try it out" starts with."""
    alice, carol = account("alice")["accountId"], account("carol")["accountId"]
    gift_card = catalog_item("PWRDEMO", "Gift card")
    purchase = {**PURCHASE, "accountId": alice, "accountIdType": "RANAC", "externalId": "SWAGGER0000001"}
    return {
        ("post", "/redeemers/search"): {
            "bcn": _example(
                "Alice by bank customer number",
                {"userId": bank_customer_number("alice"), "userIdType": "BCN", "redemptionType": "PWR"},
            ),
            "ranac": _example("Carol by RANAC", {"userId": carol, "userIdType": "RANAC", "redemptionType": "PWR"}),
        },
        ("put", "/redeemers/{id}/preferences"): {
            "next-purchase": _example(
                "PWR on for the next purchase only", {"preferences": {"redemptionFrequency": "SNGL"}}
            ),
            "off": _example("PWR off", {"preferences": {"redemptionFrequency": "OFF"}}),
        },
        ("post", "/authorizations"): {
            "sync": _example("A $100 purchase, processed now", {**purchase, "queueTransaction": "N"}),
            "queued": _example(
                "The same purchase, queued", {**purchase, "externalId": "SWAGGER0000002", "queueTransaction": "Y"}
            ),
        },
        ("post", "/authorizations/{id}/reprocess"): {
            "app-user": _example(
                "Redeem an eligible purchase of Alice's",
                {"processedBy": "APPUSER", "accountId": alice, "accountIdType": "RANAC"},
            ),
        },
        ("post", "/redemptions"): {
            "gift-card": _example(
                "A $25 gift card for Alice's points (README walkthrough)",
                {
                    "redemptionType": "MERCHANDISE",
                    "userId": alice,
                    "userIdType": "RANAC",
                    "items": [{"paymentOption": "POINTS_ONLY", "cashEquivalent": "25", "redemptionItemId": gift_card}],
                },
            ),
            **seed_redemptions(),
        },
        ("post", "/redemptions/{id}/credits"): {
            "part": _example("Give back 1,000 points", {"pointsCredited": 1000, "description": "one card returned"}),
            "rest": _example("Give back everything still creditable", {}),
        },
    }
