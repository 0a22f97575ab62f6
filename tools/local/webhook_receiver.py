"""A small Auth Notifier receiver on 127.0.0.1: checks each POST's signature, keeps and prints it.

    python -m tools.local.webhook_receiver [--port 3100] [--secret local-webhook-secret] [--fail-first 2]

The demo client's webhook (config/demo.yaml) points at http://127.0.0.1:3100/auth-notifications,
signed with the SSM parameter /rewards/dev/webhooks/demo-issuer; ``register_webhook_secrets`` puts
LOCAL_WEBHOOK_SECRET there. In code (the local stack, the tests):

    with WebhookReceiver(secret=b"...", fail_first=2) as receiver:   # port 0: a free port
        ... receiver.url, receiver.received (list[ReceivedCall]), receiver.wait_for(1)

``fail_first`` answers 503 to that many requests first; ``always_fail`` to every request.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from rewards.notifications.signing import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

LOCAL_WEBHOOK_SECRET = "local-webhook-secret"  # noqa: S105 - a local demo value, never deployed
DEFAULT_PORT = 3100
PATH = "/auth-notifications"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # as the gateway: socketserver's 5 resets a burst of deliveries


@dataclass(frozen=True)
class ReceivedCall:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)


def register_webhook_secrets(ssm: Any, parameter_names: list[str], secret: str = LOCAL_WEBHOOK_SECRET) -> None:
    """Put the signing secret of each client webhook (``Client.webhook.secretParameterName``) in SSM."""
    for name in parameter_names:
        ssm.put_parameter(Name=name, Value=secret, Type="SecureString", Overwrite=True)


class WebhookReceiver:
    def __init__(
        self,
        secret: bytes = LOCAL_WEBHOOK_SECRET.encode(),
        host: str = "127.0.0.1",
        port: int = 0,
        fail_first: int = 0,
        always_fail: bool = False,
        echo: bool = False,
    ) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.echo = echo
        self.received: list[ReceivedCall] = []
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver._record(self, self.rfile.read(length))

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = _Server((host, port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = dict(handler.headers.items())
        valid = verify(
            self.secret,
            handler.headers.get(TIMESTAMP_HEADER, ""),
            body,
            handler.headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        )
        with self._lock:
            failing = self.always_fail or len(self.received) < self.fail_first
            status = 503 if failing else (204 if valid else 401)
            call = ReceivedCall(handler.path, headers, body, valid, status)
            self.received.append(call)
            self._lock.notify_all()
        if self.echo:
            self._print(call)
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    @staticmethod
    def _print(call: ReceivedCall) -> None:
        verdict = "valid signature" if call.signature_valid else "INVALID signature"
        delivery = call.headers.get(DELIVERY_HEADER, "?")
        try:
            shown = json.dumps(call.json(), indent=2, sort_keys=True)
        except ValueError:
            shown = call.body.decode(errors="replace")
        sys.stdout.write(f"\n--> POST {call.path} delivery {delivery} ({verdict}) answered {call.status}\n{shown}\n")
        sys.stdout.flush()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedCall]:
        """The calls received so far, once there are ``count`` of them (or the timeout passed)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local.webhook_receiver", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--secret", default=LOCAL_WEBHOOK_SECRET, help="the client's signing secret")
    parser.add_argument("--fail-first", type=int, default=0, help="answer 503 to this many requests first")
    args = parser.parse_args(argv)
    receiver = WebhookReceiver(args.secret.encode(), port=args.port, fail_first=args.fail_first, echo=True)
    sys.stdout.write(f"Auth Notifier receiver on {receiver.url} (Ctrl-C stops)\n")
    try:
        receiver.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
