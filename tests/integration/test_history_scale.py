"""GET /authorizations on a long history: every authorization of the range is answered, an
external_id is found by key whatever the history's length, and a category filter reads nothing it
discards (docs/design.md, "The history index")."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from tools.apigw import http_event

from rewards import runtime
from rewards.services import authorizations
from tests.support import body, grow_history, invoke, load_event, set_body

ACCOUNT = "RANACCAROL0001"  # PWR OFF: every purchase is 59 (category E)
ISSUER = {"clientId": "demo-issuer", "programIds": "PWRDEMO", "role": "ISSUER"}
RANGE = {"user_id": ACCOUNT, "from_date": "2026-11-01", "to_date": "2026-11-30", "include_reprocessed": "true"}


def first_authorization() -> None:
    event = load_event("apigw-post-authorization-sync")
    fields = {**json.loads(event["body"]), "accountId": ACCOUNT, "accountIdType": "RANAC", "externalId": "H000000000"}
    response = invoke("AuthorizationsFunction", set_body(event, json.dumps(fields)))
    assert response["statusCode"] == 200


def listing(**query: str) -> dict[str, Any]:
    return invoke("AuthorizationsFunction", http_event("GET", "/authorizations", query=query, authorizer=ISSUER))


@contextmanager
def items_read() -> Iterator[Counter[str]]:
    """DynamoDB calls of the function and the items they returned (``Items`` of a query)."""
    counted: Counter[str] = Counter()

    def after(event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        counted[event_name.rsplit(".", 1)[-1]] += 1
        counted["items"] += len(parsed.get("Items", [])) + (1 if "Item" in parsed else 0)

    events = runtime.aws_client("dynamodb").meta.events
    events.register("after-call.dynamodb", after, unique_id="history-reads")
    try:
        yield counted
    finally:
        events.unregister("after-call.dynamodb", unique_id="history-reads")


def test_five_thousand_authorizations_in_range_are_all_answered_and_the_oldest_is_found_by_key(demo):
    first_authorization()
    older = grow_history(demo, ACCOUNT, 4999)
    response = listing(**RANGE)
    assert response["statusCode"] == 200
    assert authorizations.NEXT_TOKEN_HEADER not in (response.get("headers") or {})
    records = body(response)
    assert len(records) == 5000 == len({r["id"] for r in records})
    assert [r["externalId"] for r in records] == ["H000000000", *older]  # newest first
    with items_read() as reads:
        found = body(listing(**RANGE, external_id=older[-1]))
    assert [r["externalId"] for r in found] == [older[-1]]
    assert reads["Query"] == 0 and reads["items"] <= 4  # the account, then the derived ids


def test_a_category_filter_reads_nothing_it_discards(demo):
    first_authorization()
    grow_history(demo, ACCOUNT, 49)
    with items_read() as reads:
        redeemed = body(listing(**RANGE, pwr_filter_categories="R"))
    assert redeemed == []
    assert reads["items"] == 1  # the account; the 50 eligible authorizations are never read
    with items_read() as reads:
        eligible = body(listing(**RANGE, pwr_filter_categories="E"))
    assert len(eligible) == 50 and reads["items"] == 51


def test_a_range_longer_than_one_answer_continues_from_the_next_token(demo, monkeypatch):
    monkeypatch.setattr(authorizations, "MAX_LISTED", 4)
    first_authorization()
    older = grow_history(demo, ACCOUNT, 9)
    pages, token = [], None
    while True:
        response = listing(**RANGE, **({"next_token": token} if token else {}))
        assert response["statusCode"] == 200
        pages.append([r["externalId"] for r in body(response)])
        token = (response.get("headers") or {}).get(authorizations.NEXT_TOKEN_HEADER)
        if token is None:
            break
    assert [len(p) for p in pages] == [4, 4, 2]
    assert [e for page in pages for e in page] == ["H000000000", *older]


@pytest.mark.parametrize("token", ["not-a-token", "eyJzIjoiMjAyNi0xMS0yMCJ9"])
def test_a_next_token_that_was_not_issued_is_refused_naming_the_field(demo, token):
    first_authorization()
    response = listing(**RANGE, next_token=token)
    assert response["statusCode"] == 400
    assert body(response)["Errors"]["Error"][0]["Details"] == "next_token"
