"""The authorization queue (SQS)."""

from __future__ import annotations

from typing import Any


class AuthorizationQueue:
    def __init__(self, client: Any, url: str) -> None:
        self.client = client
        self.url = url

    def send(self, body: str, *, origin: str) -> str:
        response = self.client.send_message(
            QueueUrl=self.url,
            MessageBody=body,
            MessageAttributes={"origin": {"DataType": "String", "StringValue": origin}},
        )
        return str(response["MessageId"])
