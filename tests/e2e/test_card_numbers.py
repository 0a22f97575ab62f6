"""Card numbers typed into free-text fields, over real HTTP: masked in every answer; the session's
sweep (conftest.card_number_leaks) then finds none in the tables, topics, emails, queues or logs."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from tests.e2e.conftest import FREE_TEXT_CARDS, Api, eventually, written_forms
from tests.e2e.test_flows import CAROL_CARD, purchase

pytestmark = pytest.mark.e2e
MERCHANDISE_USER = "194029175821411820021023467619"  # the seed's cardholder (config/demo.yaml)


@pytest.mark.parametrize("form", [0, 1, 2], ids=["plain", "spaced", "dashed"])
def test_free_text_card_numbers_are_masked_in_every_answer(api: Api, form: int):
    visa, mastercard, amex = (written_forms(card)[form] for card in FREE_TEXT_CARDS)
    request = {
        **purchase(CAROL_CARD, "12.00"),
        "externalId": f"FT{uuid.uuid4().hex[:10].upper()}",
        "queueTransaction": "N",
        "transactionCategoryCode": f"ref {visa}",
        "cardAcceptorNameAndLocation": f"SHOP {amex}"[:40],
        "reserved": mastercard,
    }
    posted = api("POST", "/authorizations", request)
    assert posted.status == 200, posted.text
    today = date.today().isoformat()
    listed = api(
        "GET",
        "/authorizations",
        query={"user_id": "RANACCAROL0001", "from_date": today, "to_date": today, "include_reprocessed": "true"},
    )
    assert listed.status == 200, listed.text
    mine = eventually(lambda: [a for a in listed.json() if a.get("externalId") == request["externalId"]])
    assert mine[0]["de048TCC"] == "ref ****5556"

    redeemed = api(
        "POST",
        "/redemptions",
        {
            "redemptionType": "MERCHANDISE",
            "userId": MERCHANDISE_USER,
            "userIdType": "RANAC",
            "description": f"for {visa}",
            "items": [{"paymentOption": "POINTS_ONLY", "pointsRedeemed": 1, "redemptionItemId": "19068"}],
        },
    )
    assert redeemed.status == 200, redeemed.text
    answers = json.dumps([posted.json(), listed.json(), redeemed.json()])
    for card in FREE_TEXT_CARDS:
        assert not any(text in answers for text in written_forms(card)), card
