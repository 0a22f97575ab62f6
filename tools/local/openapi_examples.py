"""Examples for docs/openapi.yaml: the demo configuration's cardholders (config/demo.yaml), the
Digital Redemptions sample requests of seed 003 (as tools/make_events.py keeps them) and its sample
responses (below).

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
        # ids a request of the walkthrough returns: an authorization's id, an item's redemptionId (seed 003's)
        ("post", "/authorizations/{id}/reprocess", "id"): "6088522672",
        ("post", "/redemptions/{id}/credits", "id"): str(SEED_RESPONSES["cashback"]["items"][0]["redemptionId"]),
        ("put", "/redemptions/{id}/status", "id"): str(SEED_RESPONSES["cashback"]["items"][0]["redemptionId"]),
    }


def seed_redemptions() -> dict[str, dict[str, Any]]:
    """Seed 003's sample requests; TRAVEL is for a DRTRAVEL cardholder, so demo-merchant sends it."""
    travel_note = " (sign as demo-merchant: the program is DRTRAVEL)"
    return {
        f"seed-{name}": _example(f"seed 003 {name} sample{travel_note if name == 'travel' else ''}", json.loads(text))
        for name, text in SEED_REDEMPTIONS.items()
    }


# Seed 003's sample answers to its sample requests (ids, balances and names as the seed prints them).
SEED_RESPONSES: dict[str, dict[str, Any]] = {
    "cashback": {
        "id": "b6ad3116-973c-46d0-b990-e2e9ddd28716",
        "pointBalance": 96383462.64,
        "pointsName": "Test Points Name",
        "programName": "Pay With Points API",
        "items": [
            {
                "itemId": "9384ce65-aed8-4fe4-869a-da5549361cbc",
                "redemptionId": 4901932,
                "redemptionMatrixItemId": "41275",
            }
        ],
    },
    "merchandise": {
        "id": "43e34a5b-42bd-471d-9920-4434b2a313bf",
        "pointBalance": 10799489.1,
        "pointsName": "Test Points Name",
        "programName": "Pay With Rewards - TRANS NOTIF",
        "cashEquivalent": 10799489.10,
        "currencyCode": "USD",
        "items": [
            {"itemId": "4c95b28a-d46f-452b-a7cb-292d18a25a80", "redemptionId": 4571761, "redemptionItemId": "65973"}
        ],
    },
    "external": {
        "id": "61e9b1ae-4b4a-4771-95a8-006618779d25",
        "pointBalance": 10792775.1,
        "pointsName": "Test Points Name",
        "programName": "Pay With Rewards - TRANS NOTIF",
        "cashEquivalent": 10792775.10,
        "currencyCode": "USD",
        "items": [
            {
                "itemId": "09eb2569-f206-4781-a5f8-426c282ebdfc",
                "redemptionId": 4611174,
                "redemptionMatrixItemId": "41275",
            }
        ],
    },
    "travel": {
        "id": "a351a5d2-2dd4-4c0b-8ceb-0d3f466c8276",
        "pointBalance": 482085,
        "programName": "MR Test Program",
        "pointsName": "Miles",
        "cashEquivalent": 1,
        "currencyCode": "AUD",
        "items": [
            {"itemId": "05bf7c3b-0acb-4baa-bb1e-4da68cd09a2c", "redemptionId": 4571759, "redemptionItemId": "50243"}
        ],
    },
}


def responses() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """(method, path) -> named 200 answer examples."""
    return {
        ("post", "/redemptions"): {
            f"seed-{name}": _example(f"seed 003 {name} sample answer", value) for name, value in SEED_RESPONSES.items()
        },
        ("put", "/redemptions/{id}/status"): {
            "back-order": _example(
                "Back ordered until 15 December",
                {
                    "redemptionId": 4571761,
                    "statusCode": "B",
                    "backOrderDate": "2026-12-15",
                    "statusUpdatedAt": "2026-12-02T18:00:00.000000Z",
                },
            ),
        },
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
        ("put", "/redemptions/{id}/status"): {
            "order-placed": _example("The order is placed", {"statusCode": "O"}),
            "back-order": _example(
                "Back ordered until 15 December", {"statusCode": "B", "backOrderDate": "2026-12-15"}
            ),
            "shipped": _example("Shipping date set", {"statusCode": "S"}),
        },
        ("post", "/redemptions/{id}/credits"): {
            "part": _example("Give back 1,000 points", {"pointsCredited": 1000, "description": "one card returned"}),
            "rest": _example("Give back everything still creditable", {}),
        },
    }
