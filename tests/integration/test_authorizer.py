"""End to end in-process on moto: a request signed by mastercard-oauth1-signer goes through the
authorizer (HTTP API payload 2.0, simple response) and then the function with the context it returned."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from oauth1 import coreutils
from oauth1.oauth import OAuth
from tools import samtemplate
from tools.apigw import http_event
from tools.make_events import PURCHASE

from rewards import runtime
from tests.keys import new_key, public_pem
from tests.support import DEMO_CONFIG, body, invoke, load_config

HOST = "api.example.com"
ISSUER_KEY = "issuer-key-1!demo"
ISSUER_NEXT_KEY = "issuer-key-2!demo"
MERCHANT_KEY = "merchant-key-1!demo"
SYNC_BODY = {**PURCHASE, "externalId": "EXTSIGNED001", "queueTransaction": "N"}


@pytest.fixture(scope="module")
def keys() -> dict[str, rsa.RSAPrivateKey]:
    return {"issuer": new_key(), "issuer_next": new_key(), "merchant": new_key(), "stranger": new_key()}


def document(**clients: dict[str, Any]) -> str:
    """config/demo.yaml with some clients' fields replaced."""
    doc = yaml.safe_load(DEMO_CONFIG.read_text())
    for client in doc["clients"]:
        client.update(clients.get(client["clientId"].replace("-", "_"), {}))
    return yaml.safe_dump(doc)


def registered(consumer_key: str, key: rsa.RSAPrivateKey, active: bool = True) -> dict[str, Any]:
    return {"consumerKey": consumer_key, "publicKeyPem": public_pem(key), "active": active}


@pytest.fixture(autouse=True)
def fresh_authorizer() -> Iterator[None]:
    """Each test has its own moto backend: forget the authorizer's clients and caches."""
    verifier = runtime.verifier
    verifier.cache_clear()
    yield
    verifier.cache_clear()


@pytest.fixture
def signed(demo, keys):
    load_config(
        demo,
        text=document(
            demo_issuer={"consumerKeys": [registered(ISSUER_KEY, keys["issuer"])]},
            demo_merchant={"consumerKeys": [registered(MERCHANT_KEY, keys["merchant"])]},
        ),
    )
    return demo


def sign(
    method: str,
    url: str,
    payload: str | None,
    consumer_key: str,
    key: rsa.RSAPrivateKey,
    timestamp: int | None = None,
) -> str:
    with pytest.MonkeyPatch.context() as patch:
        if timestamp is not None:
            patch.setattr(coreutils, "get_timestamp", lambda: timestamp)
        return str(OAuth.get_authorization_header(url, method, payload, consumer_key, key))


def request_event(
    method: str,
    path: str,
    *,
    authorization: str | None,
    query: str = "",
    payload: str | None = None,
    path_parameters: dict[str, str] | None = None,
    host: str = HOST,
    scheme: str = "https",
) -> dict[str, Any]:
    headers = {"host": host, "x-forwarded-proto": scheme}
    if authorization is not None:
        headers["authorization"] = authorization
    event = http_event(method, path, body=payload, headers=headers, path_parameters=path_parameters)
    event["rawQueryString"] = query
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query))
    return event


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """Run the authorizer on what API Gateway gives it: no body, the identity source."""
    authorizer_event = copy.deepcopy(event)
    authorizer_event.pop("body", None)
    authorizer_event.pop("isBase64Encoded", None)
    method, path = event["requestContext"]["http"]["method"], event["rawPath"]
    authorizer_event.update(
        type="REQUEST",
        routeArn=f"arn:aws:execute-api:us-east-1:123456789012:local/$default/{method}{path}",
        identitySource=[event["headers"]["authorization"]] if "authorization" in event["headers"] else [],
    )
    response = invoke("AuthorizerFunction", authorizer_event)
    assert response["isAuthorized"] is True  # refusals are answered by the function, in the envelope
    return dict(response["context"])


def through_gateway(function: str, event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    context = authorize(event)
    event["requestContext"]["authorizer"] = {"lambda": context}
    return context, invoke(function, event)


def refused(response: dict[str, Any], reason: str) -> None:
    assert response["statusCode"] == 401, response
    [error] = body(response)["Errors"]["Error"]
    assert error["Source"] == "Gateway"
    assert error["ReasonCode"] == reason


def get_profile(key: rsa.RSAPrivateKey, consumer_key: str = ISSUER_KEY, **kwargs: Any) -> dict[str, Any]:
    query = "redemption_type=PWR&user_id_type=RANAC"
    url = f"https://{HOST}/redeemers/RANACALICE0001?{query}"
    authorization = sign("GET", url, None, consumer_key, key, **kwargs)
    return request_event(
        "GET",
        "/redeemers/RANACALICE0001",
        authorization=authorization,
        query=query,
        path_parameters={"id": "RANACALICE0001"},
    )


def unsigned_get_profile() -> dict[str, Any]:
    return request_event(
        "GET",
        "/redeemers/RANACALICE0001",
        authorization=None,
        query="redemption_type=PWR",
        path_parameters={"id": "RANACALICE0001"},
    )


def balance(stack: Any) -> str:
    event = unsigned_get_profile()
    event["requestContext"]["authorizer"] = {
        "lambda": {"clientId": "demo-issuer", "programIds": "PWRDEMO", "role": "ISSUER"}
    }
    return str(body(invoke("RedeemersFunction", event))["householdInfo"]["pointBalance"])


# ------------------------------------------------------------------ signed requests pass


def test_signed_get_with_encoded_query_reaches_the_function_as_the_client(signed, keys):
    query = "redemption_type=PWR&user_id_type=RANAC&note=gift%20card&tag=a+b"
    url = f"https://{HOST}/redeemers/RANACALICE0001?{query}"
    event = request_event(
        "GET",
        "/redeemers/RANACALICE0001",
        authorization=sign("GET", url, None, ISSUER_KEY, keys["issuer"]),
        query=query,
        path_parameters={"id": "RANACALICE0001"},
    )
    context, response = through_gateway("RedeemersFunction", event)
    assert context == {
        "clientId": "demo-issuer",
        "programIds": "PWRDEMO",
        "role": "ISSUER",
        "bodyHash": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    }
    assert response["statusCode"] == 200, response
    assert body(response)["householdInfo"]["pointBalance"] == "12000"


def test_signed_post_with_body_redeems(signed, keys):
    payload = json.dumps(SYNC_BODY)
    url = f"https://{HOST}/authorizations"
    event = request_event(
        "POST", "/authorizations", authorization=sign("POST", url, payload, ISSUER_KEY, keys["issuer"]), payload=payload
    )
    _, response = through_gateway("AuthorizationsFunction", event)
    assert response["statusCode"] == 200, response
    assert body(response)[0]["responseReasonId"] == "60"
    assert balance(signed) == "2000"


def test_local_gateway_url_with_forwarded_scheme_and_port(signed, keys):
    url = "http://127.0.0.1:3000/redeemers/RANACALICE0001?redemption_type=PWR"
    event = request_event(
        "GET",
        "/redeemers/RANACALICE0001",
        authorization=sign("GET", url, None, ISSUER_KEY, keys["issuer"]),
        query="redemption_type=PWR",
        path_parameters={"id": "RANACALICE0001"},
        host="127.0.0.1:3000",
        scheme="http",
    )
    assert through_gateway("RedeemersFunction", event)[1]["statusCode"] == 200
    # The same header presented as an https call to another host is someone else's request.
    event = copy.deepcopy(event)
    event["headers"]["x-forwarded-proto"] = "https"
    assert authorize(event) == {"denied": "INVALID_SIGNATURE"}


def test_merchant_client_gets_its_own_programs_and_role(signed, keys):
    context, response = through_gateway("RedeemersFunction", get_profile(keys["merchant"], MERCHANT_KEY))
    assert context["clientId"] == "demo-merchant"
    assert context["programIds"] == "PWRDEMO,DRTRAVEL"
    assert context["role"] == "MERCHANT"
    assert response["statusCode"] == 200


# ------------------------------------------------------------------ refusals: 401 in the envelope


def test_unsigned_request_is_401(signed):
    event = unsigned_get_profile()
    context, response = through_gateway("RedeemersFunction", event)
    assert context == {"denied": "MISSING_SIGNATURE"}
    refused(response, "MISSING_SIGNATURE")


def test_non_oauth_header_is_401(signed):
    event = get_profile(new_key())
    event["headers"]["authorization"] = "Bearer abc.def"
    refused(through_gateway("RedeemersFunction", event)[1], "MALFORMED_AUTHORIZATION")


def test_signature_by_another_key_is_401(signed, keys):
    refused(through_gateway("RedeemersFunction", get_profile(keys["stranger"]))[1], "INVALID_SIGNATURE")


def test_tampered_body_is_401_and_writes_nothing(signed, keys):
    url = f"https://{HOST}/authorizations"
    signed_payload = json.dumps({**SYNC_BODY, "cardholderBillingAmount": "1.00"})
    sent_payload = json.dumps(SYNC_BODY)
    authorization = sign("POST", url, signed_payload, ISSUER_KEY, keys["issuer"])
    event = request_event("POST", "/authorizations", authorization=authorization, payload=sent_payload)
    context, response = through_gateway("AuthorizationsFunction", event)
    assert "clientId" in context  # the authorizer cannot see the body
    refused(response, "BODY_HASH_MISMATCH")
    assert balance(signed) == "12000"


def test_reformatted_json_body_is_not_the_signed_body(signed, keys):
    url = f"https://{HOST}/authorizations"
    authorization = sign("POST", url, json.dumps(SYNC_BODY), ISSUER_KEY, keys["issuer"])
    compact = json.dumps(SYNC_BODY, separators=(",", ":"))
    event = request_event("POST", "/authorizations", authorization=authorization, payload=compact)
    refused(through_gateway("AuthorizationsFunction", event)[1], "BODY_HASH_MISMATCH")


def test_tampered_query_is_401(signed, keys):
    event = get_profile(keys["issuer"])
    event["rawQueryString"] = "redemption_type=DR&user_id_type=RANAC"
    event["queryStringParameters"]["redemption_type"] = "DR"
    refused(through_gateway("RedeemersFunction", event)[1], "INVALID_SIGNATURE")


def test_tampered_path_is_401(signed, keys):
    event = get_profile(keys["issuer"])
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/redeemers/RANACBOB00001"
    event["pathParameters"] = {"id": "RANACBOB00001"}
    refused(through_gateway("RedeemersFunction", event)[1], "INVALID_SIGNATURE")


def test_wrong_method_is_401(signed, keys):
    url = f"https://{HOST}/redeemers/search"
    payload = json.dumps({"userId": "RANACALICE0001", "userIdType": "RANAC", "redemptionType": "PWR"})
    authorization = sign("PUT", url, payload, ISSUER_KEY, keys["issuer"])
    event = request_event("POST", "/redeemers/search", authorization=authorization, payload=payload)
    refused(through_gateway("RedeemersFunction", event)[1], "INVALID_SIGNATURE")


# 10 s past the 300 s window: the clock runs on between signing and checking (a busy machine took
# more than a second at 301 s), and the window's edge is not what these two tests are about.
@pytest.mark.parametrize("offset", [-310, 310, -3600, 86400])
def test_stale_and_future_timestamps_are_401(signed, keys, offset):
    event = get_profile(keys["issuer"], timestamp=int(time.time()) + offset)
    refused(through_gateway("RedeemersFunction", event)[1], "TIMESTAMP_OUT_OF_WINDOW")


@pytest.mark.parametrize("offset", [-290, 290])
def test_timestamps_inside_the_window_pass(signed, keys, offset):
    event = get_profile(keys["issuer"], timestamp=int(time.time()) + offset)
    assert through_gateway("RedeemersFunction", event)[1]["statusCode"] == 200


def replayed(event: dict[str, Any]) -> dict[str, Any]:
    """The same signed request sent again: API Gateway gives it a request id of its own."""
    again = copy.deepcopy(event)
    again["requestContext"]["requestId"] = f"replay-{time.time_ns()}"
    return again


def test_replayed_nonce_is_401_and_is_remembered_with_a_ttl(signed, keys):
    event = get_profile(keys["issuer"])
    assert through_gateway("RedeemersFunction", copy.deepcopy(event))[1]["statusCode"] == 200
    refused(through_gateway("RedeemersFunction", replayed(event))[1], "NONCE_REPLAYED")
    items = signed.client("dynamodb").scan(TableName=signed.tables["NonceTable"])["Items"]
    [item] = items
    timestamp = int(event["headers"]["authorization"].split('oauth_timestamp="')[1].split('"')[0])
    assert item["pk"]["S"].startswith(f"{ISSUER_KEY}#")
    assert int(item["expiresAt"]["N"]) > timestamp + 300


def test_same_nonce_from_another_consumer_key_is_not_a_replay(signed, keys):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coreutils, "get_nonce", lambda: "fixednonce000001")
        issuer = get_profile(keys["issuer"])
        merchant = get_profile(keys["merchant"], MERCHANT_KEY)
    assert through_gateway("RedeemersFunction", issuer)[1]["statusCode"] == 200
    assert through_gateway("RedeemersFunction", merchant)[1]["statusCode"] == 200


def test_unknown_consumer_key_is_401(signed, keys):
    refused(through_gateway("RedeemersFunction", get_profile(keys["issuer"], "nobody!key"))[1], "UNKNOWN_CONSUMER_KEY")


def test_inactive_key_is_401(demo, keys):
    load_config(
        demo, text=document(demo_issuer={"consumerKeys": [registered(ISSUER_KEY, keys["issuer"], active=False)]})
    )
    refused(through_gateway("RedeemersFunction", get_profile(keys["issuer"]))[1], "UNKNOWN_CONSUMER_KEY")


def test_disabled_client_is_401(demo, keys):
    load_config(
        demo, text=document(demo_issuer={"active": False, "consumerKeys": [registered(ISSUER_KEY, keys["issuer"])]})
    )
    refused(through_gateway("RedeemersFunction", get_profile(keys["issuer"]))[1], "CLIENT_DISABLED")


# ------------------------------------------------------------------ key rotation


def test_rotation_two_active_keys_then_old_key_removed(demo, keys):
    both = [registered(ISSUER_KEY, keys["issuer"]), registered(ISSUER_NEXT_KEY, keys["issuer_next"])]
    load_config(demo, text=document(demo_issuer={"consumerKeys": both}))
    assert through_gateway("RedeemersFunction", get_profile(keys["issuer"]))[1]["statusCode"] == 200
    next_key = get_profile(keys["issuer_next"], ISSUER_NEXT_KEY)
    assert through_gateway("RedeemersFunction", next_key)[1]["statusCode"] == 200

    load_config(demo, text=document(demo_issuer={"consumerKeys": [both[1]]}))
    lookups = demo.client("dynamodb").scan(
        TableName=demo.config_table,
        FilterExpression="begins_with(pk, :prefix)",
        ExpressionAttributeValues={":prefix": {"S": "CONSUMERKEY#"}},
    )["Items"]
    assert sorted(item["pk"]["S"] for item in lookups) == [f"CONSUMERKEY#{ISSUER_NEXT_KEY}"]
    runtime.verifier.cache_clear()  # a warm authorizer re-reads within its cache time
    refused(through_gateway("RedeemersFunction", get_profile(keys["issuer"]))[1], "UNKNOWN_CONSUMER_KEY")
    next_key = get_profile(keys["issuer_next"], ISSUER_NEXT_KEY)
    assert through_gateway("RedeemersFunction", next_key)[1]["statusCode"] == 200


def test_a_consumer_key_cannot_belong_to_two_clients(signed, keys):
    from tools.config_loader import InvalidDocument, parse_document

    from rewards.adapters.config_store import ConsumerKeyTaken

    with pytest.raises(InvalidDocument, match="more than once"):
        parse_document(
            document(
                demo_issuer={"consumerKeys": [registered(ISSUER_KEY, keys["issuer"])]},
                demo_merchant={"consumerKeys": [registered(ISSUER_KEY, keys["merchant"])]},
            )
        )
    # Registered to demo-issuer by an earlier load: a document about another client cannot take it over.
    merchant_only = yaml.safe_load(document(demo_merchant={"consumerKeys": [registered(ISSUER_KEY, keys["merchant"])]}))
    merchant_only["clients"] = [c for c in merchant_only["clients"] if c["clientId"] == "demo-merchant"]
    with pytest.raises(ConsumerKeyTaken):
        load_config(signed, text=yaml.safe_dump(merchant_only))
    assert authorize(get_profile(keys["issuer"]))["clientId"] == "demo-issuer"


# ------------------------------------------------------------------ the template wires it


def test_template_makes_the_authorizer_the_default_without_caching():
    auth = samtemplate.resources()["HttpApi"]["Properties"]["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    assert authorizer["FunctionArn"].value == "AuthorizerFunction.Alias"  # the published version (SnapStart)
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["EnableSimpleResponses"] is True
    assert authorizer["Identity"] == {"ReauthorizeEvery": 0}  # no identity source: every request reaches it
    nonce_table = samtemplate.resources()["NonceTable"]["Properties"]
    assert nonce_table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


@pytest.mark.parametrize("sends", [1, 2])
def test_a_nonce_write_whose_answer_was_lost_does_not_refuse_its_own_request(signed, keys, sends):
    """The SDK re-sends the nonce's conditional put after a lost answer: the request passes; a real
    replay of the same header afterwards is still refused."""
    from tests.reliability.lost_answers import LostAnswers

    lost = LostAnswers().hook(runtime.verifier().nonces.table.client)
    lost.reset({0: sends})
    event = get_profile(keys["issuer"])
    assert through_gateway("RedeemersFunction", copy.deepcopy(event))[1]["statusCode"] == 200
    assert lost.lost == ["PutItem"] * sends
    refused(through_gateway("RedeemersFunction", replayed(event))[1], "NONCE_REPLAYED")
