"""The engine's side of the point bank contract (docs/point-bank.md): signed calls to a client's
point bank, each movement under one Idempotency-Key that every retry sends again.

A timeout, a connection closed without an answer, a 5xx or a 503 leaves the outcome unknown: the
same request (same key, same body, signed again) is asked again with back-off, at most
``attempts`` times. When they are spent, ``OutcomeUnknown`` says the movement may have committed;
whoever holds the key asks again later (the bank answers the key's one outcome).
"""

from __future__ import annotations

import http.client
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from rewards.breaker import CircuitBreaker, breaker_for
from rewards.models.config import PointBankSetting
from rewards.security import oauth1

Kind = Literal["DEBIT", "CREDIT"]
Reason = Literal["PWR_REDEMPTION", "PWR_REPROCESS", "DR_REDEMPTION", "DR_CREDIT", "REBATE_REJECTED"]


class PointBankError(Exception):
    """The bank answered, with a defined refusal."""


class UnknownBankAccount(PointBankError):
    pass


class InsufficientBankPoints(PointBankError):
    def __init__(self, balance: Decimal) -> None:
        super().__init__(f"the bank holds {balance} points")
        self.balance = balance


class KeyReused(PointBankError):
    """The key's outcome belongs to another request: a bug of the caller, never retried."""


class BankRefused(PointBankError):
    """400, 401 or a redirect: the engine's request, signature or base URL is wrong (configuration)."""


class OutcomeUnknown(Exception):
    """Every attempt ended without a defined answer: the movement may or may not have committed."""


class BankUnavailable(OutcomeUnknown):
    """The bank's breaker is open: nothing was sent (so nothing of this call committed)."""


@dataclass(frozen=True)
class BankSettings:
    base_url: str  # e.g. http://127.0.0.1:3200/point-bank/v1
    consumer_key: str
    timeout_seconds: float = 2.0  # per attempt: connect and read
    attempts: int = 3
    backoff_seconds: float = 0.1  # doubled after each attempt
    breaker_threshold: int = 3  # calls in a row without a defined answer open the breaker
    breaker_open_seconds: float = 30.0

    @classmethod
    def of(cls, setting: PointBankSetting) -> BankSettings:
        """A program's ``pointBank`` setting (EXTERNAL)."""
        assert setting.baseUrl is not None and setting.clientId is not None
        return cls(
            setting.baseUrl,
            setting.clientId,
            timeout_seconds=float(setting.timeoutSeconds),
            attempts=setting.attempts,
            breaker_threshold=setting.breakerThreshold,
            breaker_open_seconds=float(setting.breakerOpenSeconds),
        )


@dataclass(frozen=True)
class BankMovement:
    transaction_id: str
    idempotency_key: str
    account_id: str
    kind: Kind
    points: Decimal
    balance: Decimal  # right after the movement
    replayed: bool


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    replayed: bool


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the bank's answer (a configuration error), never followed: following it would send
    the signed request to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class PointBankClient:
    def __init__(
        self,
        settings: BankSettings,
        signing_key: Any,  # an RSA private key (cryptography)
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.settings = settings
        self.signing_key = signing_key
        self.sleep = sleep
        self.clock = clock
        self.breaker = breaker or breaker_for(
            settings.base_url, settings.breaker_threshold, settings.breaker_open_seconds
        )

    def balance(self, account_id: str) -> Decimal:
        answer = self._ask("GET", f"/accounts/{quote(account_id, safe='')}/balance", b"", {})
        if answer.status == 200:
            try:
                return Decimal(answer.body["balance"])
            except (KeyError, TypeError, ArithmeticError):
                raise OutcomeUnknown("the balance answer has no balance") from None
        raise self._refusal(answer)

    def debit(self, account_id: str, points: Decimal, key: str, reference: str, reason: Reason) -> BankMovement:
        return self._move("debits", account_id, points, key, reference, reason)

    def credit(self, account_id: str, points: Decimal, key: str, reference: str, reason: Reason) -> BankMovement:
        return self._move("credits", account_id, points, key, reference, reason)

    def _move(
        self, resource: str, account_id: str, points: Decimal, key: str, reference: str, reason: Reason
    ) -> BankMovement:
        body = json.dumps({"points": format(points, "f"), "reference": reference, "reason": reason}).encode()
        path = f"/accounts/{quote(account_id, safe='')}/{resource}"
        answer = self._ask("POST", path, body, {"Idempotency-Key": key, "Content-Type": "application/json"})
        if answer.status in (200, 201):
            return _movement(answer)
        raise self._refusal(answer)

    @staticmethod
    def _refusal(answer: _Answer) -> PointBankError:
        error = answer.body.get("error", {})
        if answer.status == 404:
            return UnknownBankAccount(error.get("message", ""))
        if answer.status == 409:
            return InsufficientBankPoints(Decimal(error["balance"]))
        if answer.status == 422:
            return KeyReused(error.get("message", ""))
        return BankRefused(f"{answer.status} {error.get('code', '')}: {error.get('message', '')}")

    # -- sending -----------------------------------------------------------------------------------
    def _ask(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> _Answer:
        """The first defined answer (2xx or 4xx) over at most ``attempts`` sends of the same request;
        a call without one counts as a failure of the bank for its breaker."""
        if not self.breaker.allow():
            raise BankUnavailable(f"{method} {path}: the point bank's breaker is open")
        url = self.settings.base_url.rstrip("/") + path
        for attempt in range(self.settings.attempts):
            if attempt:
                self.sleep(self.settings.backoff_seconds * 2 ** (attempt - 1))
            answer = self._send(method, url, body, headers)
            if answer is not None and answer.status < 500:
                self.breaker.succeeded()
                return answer
        self.breaker.failed()
        raise OutcomeUnknown(f"{method} {path}: no defined answer after {self.settings.attempts} attempts")

    def _send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> _Answer | None:
        """One signed send; None when it ended without an answer."""
        authorization = oauth1.sign(
            method, url, body, self.settings.consumer_key, self.signing_key, secrets.token_hex(16), int(self.clock())
        )
        request = urllib.request.Request(  # noqa: S310 - the program's configured https/http base URL
            url,
            data=body if method == "POST" else None,
            method=method,
            headers=headers | {"Authorization": authorization},
        )
        try:
            with _OPENER.open(request, timeout=self.settings.timeout_seconds) as response:
                return _answer(response.status, response.read(), response.headers.get("Idempotent-Replayed"))
        except urllib.error.HTTPError as error:
            return _answer(error.code, error.read(), error.headers.get("Idempotent-Replayed"))
        except (OSError, http.client.HTTPException):  # timeouts, resets, refused, closed without an answer
            return None


def _movement(answer: _Answer) -> BankMovement:
    """The committed movement; an answer that is not one leaves the outcome unknown (ask again later)."""
    b = answer.body
    try:
        kind: Kind = "DEBIT" if b["kind"] == "DEBIT" else "CREDIT"
        points, balance = Decimal(b["points"]), Decimal(b["balance"])
        ids = str(b["transactionId"]), str(b["idempotencyKey"]), str(b["accountId"])
    except (KeyError, TypeError, ArithmeticError):
        raise OutcomeUnknown("the movement answer is not a movement") from None
    return BankMovement(*ids, kind, points, balance, answer.replayed)


def _answer(status: int, raw: bytes, replayed: str | None) -> _Answer | None:
    """None when the answer is not one: a 5xx, or a success whose body is not JSON (asked again)."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return None if status >= 500 or status < 300 else _Answer(status, {}, False)
    return _Answer(status, body if isinstance(body, dict) else {}, replayed == "true")
