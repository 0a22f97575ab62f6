"""The one date rule of every list and filter, PWR and DR alike: an authorization or a redemption
belongs to the **business date** of its moment in its program's time zone (``Program.timeZone``,
an IANA name, UTC unless configured). ``from_date`` and ``to_date`` name business dates."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_time_zone(name: str) -> bool:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def business_date(moment: datetime, time_zone: str) -> date:
    """The date ``moment`` (which carries its offset) falls on in ``time_zone``."""
    return moment.astimezone(zone(time_zone)).date()
