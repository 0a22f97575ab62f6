"""What moto holds that no AWS API returns, read over HTTP from the moto process.

The local stack's moto server runs in a process of its own (``tools.local.moto_server``). Everything
else reaches it through the AWS APIs, except four reads that have no API: when in-flight SQS
messages become visible again (the SQS poller keeps a back-off that a function set), the emails SES
accepted, the SMS texts and the messages published to a topic. The moto process serves them, read
only, as JSON under ``/_local/`` on moto's port (next to moto's own ``/moto-api/``), each read under
the moto lock; ``MotoView`` reads them.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs, urlencode

from tools import moto_lock
from tools.local.streams import CapturedEmail, captured_emails, captured_sms, published_events, sent_email_count
from tools.samtemplate import ACCOUNT, REGION

PREFIX = "/_local/"
Query = dict[str, list[str]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _visible_at(query: Query) -> dict[str, float]:
    """When each of the messages becomes visible again (epoch seconds); absent: no longer queued."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[ACCOUNT][REGION].queues.get(query["QueueUrl"][0].rsplit("/", 1)[-1])
    wanted = set(query.get("MessageId", []))
    return {m.id: float(m.visible_at) / 1000 for m in (queue._messages if queue else []) if m.id in wanted}


VIEWS: dict[str, Callable[[Query], Any]] = {
    "sqs/visible-at": _visible_at,
    "ses/count": lambda query: sent_email_count(),
    "ses/emails": lambda query: [asdict(e) for e in captured_emails()],
    "sns/sms": lambda query: captured_sms(),
    "sns/published": lambda query: published_events(query["TopicArn"][0]),
}


def serving_views(app: WsgiApp) -> WsgiApp:
    """``app`` (moto's WSGI application) with the views answered under ``/_local/``."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith(PREFIX):
            return app(environ, start_response)
        view = VIEWS.get(path.removeprefix(PREFIX))
        if view is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such view"]
        with moto_lock.serialized():
            body = json.dumps(view(parse_qs(str(environ.get("QUERY_STRING", ""))))).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return application


class MotoView:
    """Reads the views of the moto server at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _get(self, view: str, **query: Any) -> Any:
        address = f"{self.url}{PREFIX}{view}?{urlencode(query, doseq=True)}"
        with urllib.request.urlopen(address, timeout=10) as reply:  # noqa: S310 - the local moto server
            return json.loads(reply.read())

    def visible_at(self, queue_url: str, message_ids: Iterable[str]) -> dict[str, float]:
        return dict(self._get("sqs/visible-at", QueueUrl=queue_url, MessageId=list(message_ids)))

    def email_count(self) -> int:
        return int(self._get("ses/count"))

    def emails(self) -> list[CapturedEmail]:
        return [CapturedEmail(**fields) for fields in self._get("ses/emails")]

    def sms(self) -> list[tuple[str, str]]:
        return [(number, text) for number, text in self._get("sns/sms")]

    def published_events(self, topic_arn: str) -> list[dict[str, Any]]:
        return list(self._get("sns/published", TopicArn=topic_arn))
