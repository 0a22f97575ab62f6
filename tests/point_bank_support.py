"""Calls to the reference point bank, signed by Mastercard's own signer (mastercard-oauth1-signer)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from tools.local.signing import authorization_header
from tools.point_bank.server import PointBank
from tools.point_bank.store import BankStore

from tests.keys import public_pem

CONSUMER_KEY = "rewards-engine"


@contextmanager
def running_bank(key: rsa.RSAPrivateKey, accounts: dict[str, str] | None = None) -> Iterator[PointBank]:
    store = BankStore()
    for account_id, balance in (accounts or {}).items():
        store.open_account(account_id, Decimal(balance))
    with PointBank(store, {CONSUMER_KEY: public_pem(key)}) as bank:
        yield bank
    store.close()


def call(
    key: rsa.RSAPrivateKey | None,
    method: str,
    url: str,
    body: Any = None,
    idempotency_key: str | None = None,
    timeout: float = 5.0,
) -> requests.Response:
    """One signed call (``key`` None: unsigned); ``body`` a dict (sent as JSON) or the exact text."""
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    headers = {"Content-Type": "application/json"} if text is not None else {}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    if key is not None:
        headers["Authorization"] = authorization_header(method, url, text, CONSUMER_KEY, key)
    return requests.request(method, url, data=text.encode() if text else None, headers=headers, timeout=timeout)


def debit(
    key: rsa.RSAPrivateKey, bank: PointBank, account: str, points: str, idem: str, **kw: Any
) -> requests.Response:
    body = {"points": points, "reference": kw.pop("reference", f"REF-{idem}")}
    return call(key, "POST", f"{bank.url}/accounts/{account}/debits", body, idem, **kw)


def credit(
    key: rsa.RSAPrivateKey, bank: PointBank, account: str, points: str, idem: str, **kw: Any
) -> requests.Response:
    body = {"points": points, "reference": kw.pop("reference", f"REF-{idem}")}
    return call(key, "POST", f"{bank.url}/accounts/{account}/credits", body, idem, **kw)


def balance(key: rsa.RSAPrivateKey, bank: PointBank, account: str, **kw: Any) -> requests.Response:
    return call(key, "GET", f"{bank.url}/accounts/{account}/balance", **kw)
