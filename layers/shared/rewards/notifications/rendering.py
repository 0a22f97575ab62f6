"""Cardholder content (pure): the data the SES templates of template.yaml are rendered with, and
the SMS text. Amounts, points and merchant appear; a card number never does (last four at most)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from rewards.events import AuthorizationProcessed, RebateRejected
from rewards.models.config import Program
from rewards.money import money_text as money_text_of
from rewards.notifications.routing import CommunicationKind

SMS_LIMIT = 160
MERCHANT_SMS_LIMIT = 25
UNKNOWN_MERCHANT = "the merchant"
_LONG_DIGIT_RUN = re.compile(r"(?<!\d)\d{12,19}(?!\d)")


def mask_card_numbers(text: str) -> str:
    """Stricter than the log mask: any 12-19 digit run, Luhn-valid or not, keeps its last four only.
    Nothing a cardholder is shown needs such a run (ids are at most 10 characters)."""
    return _LONG_DIGIT_RUN.sub(lambda match: f"****{match.group(0)[-4:]}", text)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def points_text(value: Any) -> str:
    number = _decimal(value)
    if number is None:
        return "0"
    return f"{number.normalize() if number == number.to_integral_value() else number:,f}"


def money_text(value: Any, currency: str | None) -> str:
    number = _decimal(value) or Decimal(0)
    text = money_text_of(number)
    return f"{text} {currency}" if currency else text


def template_data(kind: CommunicationKind, event: AuthorizationProcessed, program: Program) -> dict[str, str]:
    """Every variable any of the three templates uses (SES refuses to render a missing one)."""
    data = event.data
    currency = data.currency or program.currencyCode
    minimum = program.filters.minPurchaseAmount
    values = {
        "kind": kind.value,
        "programName": program.programName,
        "pointsName": program.pointsName,
        "merchant": (data.merchant or UNKNOWN_MERCHANT).strip(),
        "amount": money_text(data.amount, currency),
        "cashBack": money_text(data.cashBackAmount, currency),
        "pointsRedeemed": points_text(data.pointsRedeemed),
        "pointsRequired": points_text(data.totalPointsRequired),
        "pointBalance": points_text(data.pointBalance),
        "minimumPurchase": money_text(minimum, currency) if minimum is not None else "",
        "lastFour": data.lastFour[-4:],
        "authorizationId": data.authorizationId,
        "date": event.occurredAt[:10],
    }
    return {name: mask_card_numbers(value) for name, value in values.items()}


def rebate_data(event: RebateRejected, program: Program) -> dict[str, str]:
    """Every variable the rejected-rebate template uses: the credit refused, the points back."""
    data = event.data
    values = {
        "programName": program.programName,
        "pointsName": program.pointsName,
        "cashAmount": money_text(data.cashAmount, data.currency),
        "pointsCredited": points_text(data.pointsCredited),
        "pointBalance": points_text(data.pointBalance),
        "reason": (data.reason or "not given").strip(),
        "lastFour": data.lastFour[-4:],
        "reference": data.reference,
        "date": event.occurredAt[:10],
    }
    return {name: mask_card_numbers(value) for name, value in values.items()}


def sms_text(kind: CommunicationKind, values: dict[str, str]) -> str:
    merchant = values["merchant"]
    if len(merchant) > MERCHANT_SMS_LIMIT:
        merchant = merchant[: MERCHANT_SMS_LIMIT - 1].rstrip() + "…"
    v = {**values, "merchant": merchant}
    if kind is CommunicationKind.SUCCESSFUL_REDEMPTION:
        text = (
            f"{v['programName']}: {v['pointsRedeemed']} {v['pointsName']} paid {v['cashBack']} at {merchant}"
            f" (card ending {v['lastFour']}). Balance: {v['pointBalance']}."
        )
    elif kind is CommunicationKind.INSUFFICIENT_BALANCE:
        text = (
            f"{v['programName']}: Pay with Rewards is on, but {v['pointBalance']} {v['pointsName']} did not cover"
            f" {v['amount']} at {merchant} (card ending {v['lastFour']})."
        )
    else:
        text = (
            f"{v['programName']}: {v['amount']} at {merchant} (card ending {v['lastFour']}) is below the"
            f" {v['minimumPurchase']} Pay with Rewards minimum."
        )
    return mask_card_numbers(text)[:SMS_LIMIT]
