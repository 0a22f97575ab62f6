"""Build API Gateway HTTP API (payload 2.0) events, as the local gateway and the tests need them."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from rewards.security.digest import body_hash


def http_event(
    method: str,
    path: str,
    *,
    route_key: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: str | bytes | dict[str, Any] | list[Any] | None = None,
    headers: dict[str, str] | None = None,
    authorizer: dict[str, Any] | None = None,
    stage: str = "$default",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    now = datetime.now(UTC)
    raw_body: str | None
    is_base64 = False
    if isinstance(body, (dict, list)):
        raw_body = json.dumps(body)
    elif isinstance(body, bytes):
        try:
            raw_body = body.decode()
        except UnicodeDecodeError:
            raw_body, is_base64 = base64.b64encode(body).decode(), True
    else:
        raw_body = body
    all_headers = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "local",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key or f"{method} {path}",
            "stage": stage,
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if raw_body is not None:
        event["body"] = raw_body
    if authorizer is not None:
        context = dict(authorizer)
        if context.get("clientId") and "bodyHash" not in context:
            # What the request authorizer passes on: the verified oauth_body_hash of this body.
            context["bodyHash"] = body_hash(_body_bytes(raw_body, is_base64))
        event["requestContext"]["authorizer"] = {"lambda": context}
    return event


def _body_bytes(raw_body: str | None, is_base64: bool) -> bytes:
    if raw_body is None:
        return b""
    return base64.b64decode(raw_body) if is_base64 else raw_body.encode()


def sqs_event(
    bodies: list[str], queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:AuthorizationQueue"
) -> dict[str, Any]:
    records = []
    for index, body in enumerate(bodies):
        records.append(
            {
                "messageId": f"msg-{index}-{uuid.uuid4().hex[:8]}",
                "receiptHandle": f"handle-{index}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1700000000000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1700000000001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}
