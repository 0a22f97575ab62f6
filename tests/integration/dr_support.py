"""Helpers shared by the Digital Redemptions integration tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tools.apigw import http_event
from tools.make_events import on_item

from tests.support import body, committed_events, invoke, ledger_of, load_event

MERCHANT = {"clientId": "demo-merchant", "programIds": "PWRDEMO,DRTRAVEL", "role": "MERCHANT"}
ISSUER = {"clientId": "demo-issuer", "programIds": "PWRDEMO", "role": "ISSUER"}
CASHBACK_USER = "220094110178641288073796026652"
MERCHANDISE_USER = "194029175821411820021023467619"
TRAVEL_USER = "781083548024764388823967569513"


def seed(name: str) -> dict[str, Any]:
    """The seed sample request behind events/apigw-post-redemption-{name}.json, as a dict."""
    return json.loads(load_event(f"apigw-post-redemption-{name}")["body"])


def redeem(
    payload: dict[str, Any] | str, *, caller: dict[str, Any] = MERCHANT, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return invoke(
        "RedemptionsFunction", http_event("POST", "/redemptions", body=text, authorizer=caller, headers=headers)
    )


def credit(
    redemption_id: int | str,
    payload: dict[str, Any] | None = None,
    *,
    caller: dict[str, Any] = MERCHANT,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = on_item(
        "POST",
        "/redemptions/{id}/credits",
        str(redemption_id),
        body=json.dumps(payload) if payload is not None else None,
        authorizer=caller,
        headers=headers,
    )
    return invoke("RedemptionsFunction", event)


def history(user_id: str, *, caller: dict[str, Any] = MERCHANT, **query: str) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    params = {
        "user_id": user_id,
        "from_date": (today - timedelta(days=1)).isoformat(),
        "to_date": (today + timedelta(days=1)).isoformat(),
        **query,
    }
    return invoke("RedemptionsFunction", http_event("GET", "/redemptions", query=params, authorizer=caller))


def pool_balance(stack: Any, pool_id: str) -> Decimal:
    pool = ledger_of(stack).pool(pool_id)
    assert pool is not None
    return pool.balance


def events_of_type(stack: Any, event_type: str) -> list[dict[str, Any]]:
    """The committed events of that type, their ``data`` as the topic publishes it."""
    return [event.data.model_dump(mode="json") for event in committed_events(stack, event_type)]


def error(response: dict[str, Any]) -> dict[str, Any]:
    [item] = body(response)["Errors"]["Error"]
    return item
