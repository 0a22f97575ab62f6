"""When an authorization may have happened: a transaction time far in the future or older than any
card that made it could be is a bad request, not a purchase to redeem (docs/design.md, dates)."""

from __future__ import annotations

from datetime import datetime, timedelta

from rewards.errors import InvalidField

MAX_AGE = timedelta(days=5 * 365)  # longer than a card's validity
MAX_AHEAD = timedelta(days=1)  # clock skew between the card network, the client and this service


def check_transaction_time(moment: datetime, now: datetime) -> None:
    """``transactionDateAndTime`` within [now - 5 years, now + 1 day]."""
    if moment > now + MAX_AHEAD:
        raise InvalidField("transactionDateAndTime", "transactionDateAndTime is more than 1 day in the future")
    if moment < now - MAX_AGE:
        raise InvalidField("transactionDateAndTime", "transactionDateAndTime is more than 5 years in the past")
