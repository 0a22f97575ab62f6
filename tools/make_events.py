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
    "accountId": "5555444433332222",
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
        "apigw-post-reprocess": http_event(
            "POST",
            "/authorizations/1234567890/reprocess",
            route_key="POST /authorizations/{id}/reprocess",
            path_parameters={"id": "1234567890"},
            body={"processedBy": "APPUSER", "accountId": "RANACCAROL0001", "accountIdType": "RANAC"},
            authorizer=CLIENT,
        ),
        "apigw-get-preferences": http_event(
            "GET",
            "/redeemers/RANACALICE0001/preferences",
            route_key="GET /redeemers/{id}/preferences",
            path_parameters={"id": "RANACALICE0001"},
            query={"redemption_type": "PWR"},
            authorizer=CLIENT,
        ),
        "apigw-put-preferences": http_event(
            "PUT",
            "/redeemers/RANACCAROL0001/preferences",
            route_key="PUT /redeemers/{id}/preferences",
            path_parameters={"id": "RANACCAROL0001"},
            query={"redemption_type": "PWR"},
            body={
                "userIdType": "RANAC",
                "preferences": {"redemptionFrequency": "SNGL", "minAccountPurchaseThreshold": 25.0},
            },
            authorizer=CLIENT,
        ),
        "apigw-get-redeemer": http_event(
            "GET",
            "/redeemers/RANACALICE0001",
            route_key="GET /redeemers/{id}",
            path_parameters={"id": "RANACALICE0001"},
            query={"redemption_type": "PWR", "user_id_type": "RANAC"},
            authorizer=CLIENT,
        ),
        "apigw-search-redeemer": http_event(
            "POST",
            "/redeemers/search",
            body={"userId": "5555444433332222", "userIdType": "BAN", "redemptionType": "PWR"},
            authorizer=CLIENT,
        ),
        "sqs-network-authorization": sqs_event([json.dumps(network)]),
        "sqs-batch-with-poison": sqs_event([json.dumps(network), "{not json", json.dumps(second)]),
    }


def main() -> None:
    EVENTS.mkdir(exist_ok=True)
    for name, event in events().items():
        (EVENTS / f"{name}.json").write_text(json.dumps(_fix_ids(event, name), indent=2) + "\n")
    print(f"wrote {len(events())} events to {EVENTS}")


if __name__ == "__main__":
    main()
