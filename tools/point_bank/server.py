"""The reference bank's HTTP service (docs/point-bank.md, docs/point-bank.openapi.yaml).

    with PointBank(BankStore(), {"rewards-engine": public_key_pem}) as bank:   # port 0: a free port
        bank.url          # http://127.0.0.1:<port>/point-bank/v1
        bank.faults.add(Fault("drop_after_commit", frozenset({"debit"})))

Every contract call is signed (OAuth 1.0a, RSA-SHA256 with oauth_body_hash, the engine's key).
``/_admin/`` (unsigned, 127.0.0.1 only, not in the contract) seeds accounts and sets faults.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, cast
from urllib.parse import urlsplit

from rewards.security import oauth1
from rewards.security.digest import body_hash
from tools.point_bank.faults import Fault, Faults
from tools.point_bank.store import BankStore, KeyReused, Kind, UnknownAccount, now_iso, points_text

BASE_PATH = "/point-bank/v1"
DEFAULT_PORT = 3200
TIMESTAMP_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 4096
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_HEADER = "Idempotency-Key"
ACCOUNT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:~-]{1,128}")
POINTS = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,4})?")
REASONS = ("PWR_REDEMPTION", "PWR_REPROCESS", "DR_REDEMPTION", "DR_CREDIT", "REBATE_REJECTED")
_ROUTE = re.compile(rf"{re.escape(BASE_PATH)}/accounts/([^/]+)/(balance|debits|credits)")
_ADMIN_ACCOUNT = re.compile(r"/_admin/accounts/([^/]+)")


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def body(self) -> dict[str, Any]:
        error = {"code": self.code, "message": self.message} | ({"field": self.field} if self.field else {})
        return {"error": error}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A caller that hung up (a timeout, or a fault that drops the answer) is not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Nonces:
    """Each (consumer key, nonce) once while its timestamp is in the window."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def remember(self, consumer_key: str, nonce: str, now: float) -> bool:
        with self._lock:
            self._seen = {k: until for k, until in self._seen.items() if until >= now}
            if (consumer_key, nonce) in self._seen:
                return False
            self._seen[(consumer_key, nonce)] = now + 2 * TIMESTAMP_WINDOW_SECONDS
            return True


class PointBank:
    def __init__(
        self,
        store: BankStore,
        consumer_keys: dict[str, str],
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.consumer_keys = consumer_keys  # consumer key -> the caller's public key (PEM)
        self.faults = Faults()
        self.nonces = Nonces()
        self.clock = clock
        self.calls = 0  # contract requests received (signed or not), for the tests
        bank = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                bank._handle(self)

            def do_POST(self) -> None:
                bank._handle(self)

            def do_PUT(self) -> None:
                bank._handle(self)

            def do_DELETE(self) -> None:
                bank._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _Server((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="point-bank", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request ---------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            request.close_connection = True
            _answer(request, 400, Refusal(400, "INVALID_REQUEST", "bad Content-Length", "Content-Length").body())
            return
        body = request.rfile.read(min(length, MAX_BODY_BYTES + 1))
        if length > MAX_BODY_BYTES:
            request.close_connection = True  # the rest of the body is never read
        path = urlsplit(request.path).path
        try:
            if path.startswith("/_admin/"):
                _answer(request, *self._admin(request.command, path, body))
                return
            self.calls += 1
            self._verify(request, body)
            self._contract(request, path, body)
        except Refusal as refusal:
            _answer(request, refusal.status, refusal.body())

    def _verify(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            raise Refusal(401, "MISSING_SIGNATURE", "the request is not signed")
        try:
            header = oauth1.parse_header(authorization)
        except oauth1.MalformedHeader as malformed:
            raise Refusal(401, "MALFORMED_SIGNATURE", str(malformed)) from None
        now = self.clock()
        if not header.timestamp.isdigit() or abs(now - int(header.timestamp)) > TIMESTAMP_WINDOW_SECONDS:
            raise Refusal(401, "TIMESTAMP_OUT_OF_WINDOW", "oauth_timestamp is not within 300 seconds of now")
        pem = self.consumer_keys.get(header.consumer_key)
        if pem is None:
            raise Refusal(401, "UNKNOWN_CONSUMER_KEY", "the consumer key is not registered")
        url = f"http://{request.headers.get('Host', '127.0.0.1')}{request.path}"
        base = oauth1.base_string(request.command, url, header.signed_params())
        key = oauth1.load_public_key(pem)
        if not oauth1.signature_valid(key, base, header.signature, header.signature_method):
            raise Refusal(401, "INVALID_SIGNATURE", "the signature does not match the request")
        if header.body_hash != body_hash(body):
            raise Refusal(401, "INVALID_SIGNATURE", "oauth_body_hash does not match the body")
        if not self.nonces.remember(header.consumer_key, header.nonce, now):
            raise Refusal(401, "NONCE_REPLAYED", "this nonce was already used")

    def _contract(self, request: BaseHTTPRequestHandler, path: str, body: bytes) -> None:
        route = _ROUTE.fullmatch(path)
        if route is None:
            raise Refusal(404, "NOT_FOUND", f"no such resource: {path}")
        account_id, resource = route.groups()
        method = "GET" if resource == "balance" else "POST"
        if request.command != method:
            raise Refusal(405, "METHOD_NOT_ALLOWED", f"{resource} answers {method} only")
        if not ACCOUNT_ID.fullmatch(account_id):
            raise Refusal(400, "INVALID_REQUEST", "accountId must be 1 to 64 of A-Z a-z 0-9 . _ -", "accountId")
        operation = {"balance": "balance", "debits": "debit", "credits": "credit"}[resource]
        fault = self.faults.take(operation)
        if fault is not None and fault.mode == "slow":
            time.sleep(fault.seconds)
        if fault is not None and fault.mode == "unavailable":
            _answer(request, 503, Refusal(503, "UNAVAILABLE", "try again later").body(), {"Retry-After": "1"})
            return
        if operation == "balance":
            status, answer, headers = self._balance(account_id)
        else:
            status, answer, headers = self._move(request, account_id, cast(Kind, operation.upper()), body)
        if fault is None or fault.mode in ("slow", "unavailable"):
            _answer(request, status, answer, headers)
        elif fault.mode == "error_after_commit":
            _answer(request, 500, Refusal(500, "INTERNAL", "something failed").body())
        elif fault.mode == "hang_after_commit":
            time.sleep(fault.seconds)
            _answer(request, status, answer, headers)
        elif fault.mode == "drop_after_commit":
            request.close_connection = True  # no answer at all
        else:  # duplicate: the answer a replay of the key gets
            _answer(request, 200 if status == 201 else status, answer, {REPLAYED_HEADER: "true"})

    def _balance(self, account_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        balance = self.store.balance(account_id)
        if balance is None:
            raise _unknown(account_id)
        return 200, {"accountId": account_id, "balance": points_text(balance), "asOf": now_iso()}, {}

    def _move(
        self, request: BaseHTTPRequestHandler, account_id: str, kind: Kind, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        key = request.headers.get(KEY_HEADER) or ""
        if not IDEMPOTENCY_KEY.fullmatch(key):
            raise Refusal(400, "INVALID_REQUEST", f"{KEY_HEADER} must be 1 to 128 of A-Z a-z 0-9 . _ : ~ -", KEY_HEADER)
        points, reference = _movement_body(body)
        try:
            outcome = self.store.move(key, account_id, kind, points, reference)
        except UnknownAccount:
            raise _unknown(account_id) from None
        except KeyReused:
            raise Refusal(
                422, "IDEMPOTENCY_KEY_REUSED", f"{KEY_HEADER} {key} was used for another request", KEY_HEADER
            ) from None
        if outcome.replayed:
            return (200 if outcome.status == 201 else outcome.status), outcome.answer, {REPLAYED_HEADER: "true"}
        return outcome.status, outcome.answer, {}

    # -- not in the contract: seeding and faults -------------------------------------------------
    def _admin(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        account = _ADMIN_ACCOUNT.fullmatch(path)
        raw = _json(body) if body else {}
        if account and method == "PUT" and ACCOUNT_ID.fullmatch(account.group(1)):
            balance = _points(raw.get("balance") if isinstance(raw, dict) else None, "balance", allow_zero=True)
            self.store.open_account(account.group(1), balance)
            return 200, {"accountId": account.group(1), "balance": points_text(balance)}
        if path == "/_admin/accounts" and method == "GET":
            return 200, {"balances": {a: points_text(b) for a, b in self.store.balances().items()}}
        if path == "/_admin/faults" and method == "POST":
            try:
                self.faults.add(Fault.from_json(raw))
            except ValueError as wrong:
                raise Refusal(400, "INVALID_REQUEST", str(wrong)) from None
            return 200, {"added": raw}
        if path == "/_admin/faults" and method == "DELETE":
            self.faults.clear()
            return 200, {"cleared": True}
        raise Refusal(404, "NOT_FOUND", f"no such admin resource: {method} {path}")


def _movement_body(body: bytes) -> tuple[Decimal, str]:
    raw = _json(body)
    if not isinstance(raw, dict):
        raise Refusal(400, "INVALID_REQUEST", "the body must be a JSON object")
    unknown = sorted(set(raw) - {"points", "reference", "reason"})
    if unknown:
        raise Refusal(400, "INVALID_REQUEST", f"unknown field {unknown[0]}", unknown[0])
    points = _points(raw.get("points"), "points")
    reference = raw.get("reference")
    if not isinstance(reference, str) or not 1 <= len(reference) <= 64:
        raise Refusal(400, "INVALID_REQUEST", "reference must be a string of 1 to 64 characters", "reference")
    if "reason" in raw and raw["reason"] not in REASONS:
        raise Refusal(400, "INVALID_REQUEST", f"reason must be one of {', '.join(REASONS)}", "reason")
    return points, reference


def _points(value: Any, field: str, allow_zero: bool = False) -> Decimal:
    if not isinstance(value, str) or not POINTS.fullmatch(value):
        raise Refusal(400, "INVALID_REQUEST", f'{field} must be a decimal string like "7000" or "12.5"', field)
    try:
        points = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits decimals only
        raise Refusal(400, "INVALID_REQUEST", f"{field} is not a number", field) from None
    if points <= 0 and not allow_zero:
        raise Refusal(400, "INVALID_REQUEST", f"{field} must be more than 0", field)
    return points


def _json(body: bytes) -> Any:
    if len(body) > MAX_BODY_BYTES:
        raise Refusal(400, "INVALID_REQUEST", f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "INVALID_REQUEST", "the body is not JSON") from None


def _unknown(account_id: str) -> Refusal:
    return Refusal(404, "UNKNOWN_ACCOUNT", f"no account {account_id}", "accountId")


def _answer(
    request: BaseHTTPRequestHandler, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(data)
