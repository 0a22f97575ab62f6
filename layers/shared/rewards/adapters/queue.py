"""The authorization queue (SQS)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from rewards.adapters.dynamo import TRANSPORT_ERRORS
from rewards.errors import Unavailable


class AuthorizationQueue:
    def __init__(self, client: Any, url: str) -> None:
        self.client = client
        self.url = url

    def send(self, body: str, *, origin: str) -> str:
        """The message id. Any SQS failure (after botocore's retries) is 503 SERVICE_UNAVAILABLE:
        nothing was queued, so the client retries the same request."""
        try:
            response = self.client.send_message(
                QueueUrl=self.url,
                MessageBody=body,
                MessageAttributes={"origin": {"DataType": "String", "StringValue": origin}},
            )
        except TRANSPORT_ERRORS as error:
            raise Unavailable(
                "The authorization could not be queued; retry the request.", details=type(error).__name__
            ) from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise Unavailable("The authorization could not be queued; retry the request.", details=code) from error
        return str(response["MessageId"])
