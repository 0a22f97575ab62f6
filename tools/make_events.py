"""Write the sample events in events/ (for `sam local invoke -e` and the integration tests).

python -m tools.make_events
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.apigw import http_event, sqs_event

EVENTS = Path(__file__).resolve().parent.parent / "events"
CLIENT = {"clientId": "demo-issuer", "programIds": "PWRDEMO", "role": "ISSUER"}

PURCHASE = {
    "accountId": "5555555555554444",
    "accountIdType": "BAN",
    "processingCode": "PURCHASE",
    "cardholderBillingAmount": "100.00",
    "cardholderBillingCurrencyCode": "USD",
    "transactionAmount": "92.10",
    "transactionCurrencyCode": "EUR",
    "transactionDateAndTime": "2026-11-20T13:45:10-05:00",
    "merchantCategoryCode": "5732",
    "acquiringInstitutionIdCode": "123456",
    "cardAcceptorIdCode": "ELEC00000000001",
    "cardAcceptorNameAndLocation": "ELECTRONICS STORE  PARIS FR",
    "merchantCountry": "FRA",
    "issuerCountryCode": "USA",
    "responseCode": "00",
}


MERCHANT = {"clientId": "demo-merchant", "programIds": "PWRDEMO,DRTRAVEL", "role": "MERCHANT"}


def on_item(method: str, route_path: str, item_id: str, **kwargs: Any) -> dict[str, Any]:
    """An event for a route with an ``{id}`` path parameter, such as ``/redeemers/{id}``."""
    return http_event(
        method,
        route_path.replace("{id}", item_id),
        route_key=f"{method} {route_path}",
        path_parameters={"id": item_id},
        **kwargs,
    )


def get_redeemer(authorizer: dict[str, str], **query: str) -> dict[str, Any]:
    """GET /redeemers/{id} for the demo account RANACALICE0001."""
    return on_item("GET", "/redeemers/{id}", "RANACALICE0001", query=query, authorizer=authorizer)


def search_redeemer(redemption_type: str, authorizer: dict[str, str]) -> dict[str, Any]:
    """POST /redeemers/search for the demo card 5555555555554444."""
    body = {"userId": "5555555555554444", "userIdType": "BAN", "redemptionType": redemption_type}
    return http_event("POST", "/redeemers/search", body=body, authorizer=authorizer)


# Digital Redemptions: the sample requests of seed 003, kept as JSON text exactly as written.
SEED_REDEMPTIONS = {
    "cashback": """{
  "items": [
    {
      "description": "cashback for your points",
      "cashbackAmount": 11.00,
      "pointsRedeemed": 366.66,
      "redemptionMatrixItemId": "41275"
    }
  ],
  "processedBy": "MRS_WS",
  "redemptionType": "CASHBACK",
  "userId": "220094110178641288073796026652",
  "userIdType": "RANAC",
  "cashbackAccountId": "220094110178641288073796026652"
}""",
    "merchandise": """{
  "items": [
    {
      "paymentOption": "POINTS_ONLY",
      "pointsRedeemed": 1,
      "redemptionMatrixItemId": "59897",
      "redemptionItemId": "65973",
      "cashEquivalent": "1",
      "description":"Test Merchandise 2"
    }
  ],
  "processedBy": "MRSWSRED",
  "redemptionType": "MERCHANDISE",
  "sourceCode": "PP",
  "userId": "194029175821411820021023467619",
  "userIdType": "RANAC"
}""",
    "external": """{
  "items": [
    {
      "description": "Merchandise",
      "paymentOption": "POINTS_ONLY",
      "pointsRedeemed": 3,
      "redemptionMatrixItemId": "41275",
      "quantity": 1,
      "additionalDetails": {
        "sourceItemId": "testItemId1",
        "merchantPartnerId": "partner1",
        "merchantId": "Merchant1",
        "itemSkuCode": "2345",
        "redemptionCategory": "Gift Cards",
        "redemptionSubCategory": "Restaurant",
        "promotionId": "promo1"
      }
    }
  ],
  "processedBy": "MRSWSRED",
  "redemptionType": "MERCHANDISE",
  "userId": "220094110178641288073796026652",
  "userIdType": "RANAC"
}""",
    "travel": """{
  "userId": "781083548024764388823967569513",
  "userIdType": "RANAC",
  "redemptionType": "TRAVEL",
  "totalCashValue": 18,
  "currencyCode": "AUD",
  "pointsRedeemed": 12,
  "externalId": "1429038073",
  "processedBy": "MRSWSRED",
  "items": [
    {
      "pointsRedeemed": 1,
      "redemptionItemId": "50243",
      "cashEquivalent": "1",
      "paymentOption": "POINTS_ONLY",
      "quantity": 1
    }
  ]
}""",
    "points-only": """{
  "items": [
    {
      "description": "exp_void",
      "paymentOption": "POINTS_ONLY",
      "quantity": 2,
      "pointsRedeemed": 3,
      "redemptionMatrixItemId": "41275"
    }
  ],
  "processedBy": "E114182",
  "redemptionType": "MERCHANDISE",
  "userId": "220094110178641288073796026652",
  "userIdType": "RANAC"
}""",
    "cash-only": """{
  "items": [
    {
      "description": "Merchandise",
      "cashEquivalent": "10",
      "paymentOption": "POINTS_ONLY",
      "quantity": 2,
      "redemptionItemId": "19068"
    }
  ],
  "processedBy": "MRSWSRED",
  "redemptionType": "MERCHANDISE",
  "userId": "220094110178641288073796026652",
  "userIdType": "RANAC"
}""",
    "points-and-cash": """{
  "items": [
    {
      "paymentOption": "POINTS_ONLY",
      "pointsRedeemed": 1,
      "redemptionItemId": "65973",
      "cashEquivalent": "1",
      "description":"Merchandise",
      "quantity": 2
    }
  ],
  "processedBy": "MRSWSRED",
  "redemptionType": "MERCHANDISE",
  "sourceCode": "PP",
  "userId": "194029175821411820021023467619",
  "userIdType": "RANAC"
}""",
}


def redemption_events() -> dict[str, dict[str, Any]]:
    seeds = {
        f"apigw-post-redemption-{name}": http_event("POST", "/redemptions", body=text, authorizer=MERCHANT)
        for name, text in SEED_REDEMPTIONS.items()
    }
    statement_credit = {
        "redemptionType": "STATEMENT_CREDIT",
        "userId": "RANACCAROL0001",
        "userIdType": "RANAC",
        "paymentAuthId": "1234567890",
        "externalId": "EXTRED0001",
        "pointsRedeemed": 1075,
        "cashBackAmount": 10.75,
        "reasonCode": "60",
        "description": "PWR rebate",
    }
    return {
        **seeds,
        "apigw-post-redemption-statement-credit": http_event(
            "POST", "/redemptions", body=statement_credit, authorizer=CLIENT
        ),
        "apigw-post-redemption-credit": on_item(
            "POST",
            "/redemptions/{id}/credits",
            "1234567890",
            body={"pointsCredited": 100, "description": "Item returned"},
            headers={"Idempotency-Key": "return-0001"},
            authorizer=MERCHANT,
        ),
        "apigw-get-redemptions": http_event(
            "GET",
            "/redemptions",
            query={"user_id": "RANACALICE0001", "from_date": "2026-01-01", "to_date": "2026-12-31", "limit": "10"},
            authorizer=MERCHANT,
        ),
        "apigw-get-redeemer-dr": get_redeemer(
            MERCHANT, redemption_type="DR", user_id_type="RANAC", redemption_item_id="19068"
        ),
        "apigw-search-redeemer-dr": search_redeemer("DR", MERCHANT),
    }


# The authorizer: the REQUEST event the gateway builds, without a signature and with a stale one.
STALE_SIGNATURE = (
    'OAuth oauth_consumer_key="demo-issuer-key!local",oauth_nonce="k2Jd8sLq0Pz1",oauth_timestamp="1795200310",'
    'oauth_signature_method="RSA-SHA256",oauth_version="1.0",'
    'oauth_body_hash="47DEQpj8HBSa%2B%2FTImW%2B5JCeuQeRkm5NMpJWZG3hSuFU%3D",oauth_signature="c2lnbmVkIG9uY2U%3D"'
)


def authorizer_events() -> dict[str, dict[str, Any]]:
    from tools.local.gateway import authorizer_event
    from tools.local.routes import find_route, local_routes

    routes = local_routes()
    found = find_route(routes, "GET", "/redeemers/RANACALICE0001")
    assert found is not None and found[0].authorizer is not None
    route, path_parameters = found

    def request(headers: dict[str, str]) -> dict[str, Any]:
        event = http_event(
            "GET",
            "/redeemers/RANACALICE0001",
            route_key=route.route.route_key,
            path_parameters=path_parameters,
            query={"redemption_type": "PWR"},
            headers={"host": "localhost", "x-forwarded-proto": "https", **headers},
        )
        event["headers"].pop("content-type")
        return authorizer_event(route.authorizer, event)  # type: ignore[arg-type]

    return {
        "authorizer-unsigned-request": request({}),
        "authorizer-stale-signature": request({"authorization": STALE_SIGNATURE}),
    }


# The notifier: the ledger stream's INSERT of one committed outbox event (a Digital Redemption).
OUTBOX_EVENT_ID = "5b0f6c2e-8d41-4c1f-9e7a-2f6d3c8b1a90"


def outbox_item(redemption_type: str = "MERCHANDISE") -> dict[str, Any]:
    """A one-line redemption's line item, which is its request's outbox item (as the ledger writes
    it); a CASHBACK one owes its cash to the cashback account (the rebate recorder's event)."""
    from datetime import date
    from decimal import Decimal

    from rewards.adapters.redemption_items import first_line_item
    from rewards.domain import PointPool
    from rewards.events import RedemptionCreated, RedemptionCreatedData
    from rewards.models.dr import RedeemedItem, RedemptionResponse
    from rewards.records import Movement, NewRedemption, RedemptionLine

    at, request_id, rid = "2026-11-20T18:45:10.000000Z", "7d3e2a10-4b6c-4f8e-a1d2-9c0b5e6f7a81", 2761148177
    cashback = redemption_type == "CASHBACK"
    line = RedemptionLine(
        redemption_id=rid,
        request_id=request_id,
        item_id="0c5a8e52-21f4-4d1e-9a3b-6e7f8d9c0b12",
        redemption_type=redemption_type,
        account_id="RANACALICE0001",
        pool_id="HH-DEMO-1",
        program_id="PWRDEMO",
        client_id="demo-merchant",
        created_at=at,
        points=Decimal(2033),
        credited=Decimal(0),
        cash=Decimal(25),
        currency="USD",
        quantity=1,
        external_id="ORDER-1001",
        redemption_item_id=None if cashback else "19068",
        matrix_item_id="1001" if cashback else None,
        details={"cashbackAccountId": "RANACALICE0001"} if cashback else None,
    )
    response = RedemptionResponse(
        id=request_id,
        pointBalance=Decimal(9967),
        pointsName="Demo Points",
        programName="Demo Rewards",
        cashEquivalent=Decimal("99.67"),
        currencyCode="USD",
        items=[
            RedeemedItem(itemId=line.item_id, redemptionId=rid, redemptionMatrixItemId="1001")
            if cashback
            else RedeemedItem(itemId=line.item_id, redemptionId=rid, redemptionItemId="19068")
        ],
    )
    event = RedemptionCreated(
        eventId=OUTBOX_EVENT_ID,
        occurredAt=at,
        programId="PWRDEMO",
        clientId="demo-merchant",
        data=RedemptionCreatedData(
            id=request_id,
            redemptionType=redemption_type,
            accountId="RANACALICE0001",
            lastFour="4444",
            redemptionIds=[rid],
            pointsRedeemed="2033",
            cashEquivalent="25",
            currencyCode="USD",
            pointBalance="9967",
            externalId="ORDER-1001",
            occurredAt=at,
        ),
    )
    new = NewRedemption(
        keys={"unique": "DR#demo-merchant#ORDER-1001"},
        lines=[line],
        fingerprint="0" * 64,
        response=response,
        business_date=date(2026, 11, 20),
        pool_seen=PointPool("HH-DEMO-1", Decimal(12000), Decimal(12000), "PWRDEMO"),
        movement=Movement(
            "HH-DEMO-1", Decimal(2033), Decimal(25), "USD", "RANACALICE0001", "DR_REDEMPTION", request_id
        ),
        event=event,
        commit_token="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",  # noqa: S106 - an idempotency token
    )
    return first_line_item(new)


# The webhook sender: one Auth Notifier delivery, as the notifier queues it.
def webhook_delivery() -> dict[str, Any]:
    body = {
        "id": "A1B2C3D4E5",
        "externalId": "EXT000000001",
        "programId": "PWRDEMO",
        "authRewardsServiceType": "PWR",
        "responseReasonId": "60",
        "responseReasonDesc": "Redeemed",
        "pointsRedeemed": 10000,
        "cashBackAmount": "100.00",
        "partiallyRedeemed": False,
    }
    return {
        "deliveryId": f"{OUTBOX_EVENT_ID}:demo-issuer",
        "eventId": OUTBOX_EVENT_ID,
        "eventType": "pwr.authorization.processed",
        "clientId": "demo-issuer",
        "url": "http://127.0.0.1:3100/auth-notifications",
        "secretParameterName": "/rewards/dev/webhooks/demo-issuer",
        "body": json.dumps(body, separators=(",", ":"), sort_keys=True),
    }


def notification_events() -> dict[str, dict[str, Any]]:
    from tools.local.streams import stream_event

    webhook_queue = "arn:aws:sqs:us-east-1:123456789012:WebhookDeliveryQueue"
    return {
        "dynamodb-ledger-outbox-event": stream_event([outbox_item()]),
        "dynamodb-ledger-cashback-event": stream_event([outbox_item("CASHBACK")]),
        "sqs-webhook-delivery": sqs_event([json.dumps(webhook_delivery())], queue_arn=webhook_queue),
    }


def _fix_ids(event: dict[str, Any], name: str) -> dict[str, Any]:
    """Stable ids and times so the files do not change on every run."""
    if "requestContext" in event:
        event["requestContext"].update(
            requestId=f"req-{name}", time="20/Nov/2026:18:45:10 +0000", timeEpoch=1795200310000
        )
    for index, record in enumerate(event.get("Records", [])):
        record["messageId"] = f"{name}-{index}"
    return event


def events() -> dict[str, dict[str, Any]]:
    network = {"origin": "NETWORK", "externalId": "NET0000000001", "authorization": PURCHASE}
    second = {
        "origin": "NETWORK",
        "externalId": "NET0000000002",
        "authorization": {**PURCHASE, "accountId": "5105105105105100", "cardholderBillingAmount": "25.00"},
    }
    return {
        "apigw-post-authorization-sync": http_event(
            "POST",
            "/authorizations",
            body={**PURCHASE, "externalId": "EXT000000001", "queueTransaction": "N"},
            authorizer=CLIENT,
        ),
        "apigw-post-authorization-queued": http_event(
            "POST",
            "/authorizations",
            body={**PURCHASE, "externalId": "EXT000000002", "queueTransaction": "Y"},
            authorizer=CLIENT,
        ),
        "apigw-get-authorizations": http_event(
            "GET",
            "/authorizations",
            query={
                "user_id": "RANACALICE0001",
                "from_date": "2026-11-01",
                "to_date": "2026-11-30",
                "include_reprocessed": "true",
                "pwr_filter_categories": "R,E",
            },
            authorizer=CLIENT,
        ),
        "apigw-post-reprocess": on_item(
            "POST",
            "/authorizations/{id}/reprocess",
            "1234567890",
            body={"processedBy": "APPUSER", "accountId": "RANACCAROL0001", "accountIdType": "RANAC"},
            authorizer=CLIENT,
        ),
        "apigw-get-preferences": on_item(
            "GET",
            "/redeemers/{id}/preferences",
            "RANACALICE0001",
            query={"redemption_type": "PWR"},
            authorizer=CLIENT,
        ),
        "apigw-put-preferences": on_item(
            "PUT",
            "/redeemers/{id}/preferences",
            "RANACCAROL0001",
            query={"redemption_type": "PWR"},
            body={
                "userIdType": "RANAC",
                "preferences": {"redemptionFrequency": "SNGL", "minAccountPurchaseThreshold": 25.0},
            },
            authorizer=CLIENT,
        ),
        "apigw-get-redeemer": get_redeemer(CLIENT, redemption_type="PWR", user_id_type="RANAC"),
        "apigw-search-redeemer": search_redeemer("PWR", CLIENT),
        "sqs-network-authorization": sqs_event([json.dumps(network)]),
        "sqs-batch-with-poison": sqs_event([json.dumps(network), "{not json", json.dumps(second)]),
        **redemption_events(),
        **authorizer_events(),
        **notification_events(),
        **settlement_events(),
    }


def settlement_events() -> dict[str, dict[str, Any]]:
    """The settlement function's two schedules (their Input, as EventBridge Scheduler delivers it)
    and an issuer's acknowledgement file arriving in the bucket."""
    bucket = "rewards-dev-settlement-123456789012"
    key = "acks/demo-issuer-20261120-000001.ack.csv"
    return {
        "scheduler-settlement": {"task": "settle"},
        "scheduler-reconciliation": {"task": "reconcile"},
        "s3-acknowledgement": {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-11-21T09:00:00.000Z",
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                        "object": {"key": key, "size": 120, "eTag": "0" * 32, "sequencer": "0065A1B2C3D4E5F601"},
                    },
                }
            ]
        },
    }


def main() -> None:
    EVENTS.mkdir(exist_ok=True)
    for name, event in events().items():
        (EVENTS / f"{name}.json").write_text(json.dumps(_fix_ids(event, name), indent=2) + "\n")
    print(f"wrote {len(events())} events to {EVENTS}")


if __name__ == "__main__":
    main()
