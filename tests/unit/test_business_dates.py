"""The one date rule of every list and filter (rules/dates.py): a record belongs to the business
date of its moment in its program's time zone. Across a time zone boundary, PWR and DR alike, on
the in-memory ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rewards.domain import Caller, ClientRole
from rewards.models.dr import REDEMPTION_REQUEST, MerchandiseRedemption
from rewards.models.pwr import AuthorizationRequest
from rewards.rules.dates import business_date
from tests.unit.builders import authorization_fields
from tests.unit.memory_world import World, demo_world

pytestmark = pytest.mark.unit

# 18:30 on 20 November in Los Angeles is 02:30 on 21 November in UTC.
EVENING_IN_LOS_ANGELES = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
LOS_ANGELES_DAY, UTC_DAY = date(2026, 11, 20), date(2026, 11, 21)
ISSUER = Caller("demo-issuer", frozenset({"PWRDEMO"}), ClientRole.ISSUER)
MERCHANT = Caller("demo-merchant", frozenset({"PWRDEMO"}), ClientRole.MERCHANT)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("UTC", UTC_DAY), ("America/Los_Angeles", LOS_ANGELES_DAY), ("Asia/Tokyo", UTC_DAY)],
)
def test_the_business_date_is_the_date_in_the_programs_time_zone(zone, expected):
    assert business_date(EVENING_IN_LOS_ANGELES, zone) == expected


def world_in(zone: str) -> World:
    world = demo_world()
    world.config.programs["PWRDEMO"] = world.config.programs["PWRDEMO"].model_copy(update={"timeZone": zone})
    world.now = EVENING_IN_LOS_ANGELES
    return world


def authorize(world: World) -> str:
    fields = authorization_fields(
        accountId="RANACBOB00001",
        transactionDateAndTime="2026-11-20T18:30:00-08:00",
        externalId="TZ0000000001",
    )
    processed = world.authorizations().process_request(ISSUER, AuthorizationRequest.model_validate(fields))
    return processed.authorization.id


def listed(world: World, day: date) -> list[str]:
    found, _ = world.authorizations().list(ISSUER, "RANACBOB00001", "RANAC", (day, day), True, None, None)
    return [a.id for a in found]


@pytest.mark.parametrize(
    ("zone", "day", "other_day"), [("America/Los_Angeles", LOS_ANGELES_DAY, UTC_DAY), ("UTC", UTC_DAY, LOS_ANGELES_DAY)]
)
def test_an_authorization_is_listed_under_its_business_date_only(zone, day, other_day):
    world = world_in(zone)
    authorization_id = authorize(world)
    assert listed(world, day) == [authorization_id]
    assert listed(world, other_day) == []


def redeem(world: World) -> int:
    request = REDEMPTION_REQUEST.validate_python(
        {
            "redemptionType": "MERCHANDISE",
            "userId": "RANACCAROL0001",
            "userIdType": "RANAC",
            "items": [{"paymentOption": "POINTS_ONLY", "pointsRedeemed": 100, "redemptionMatrixItemId": "41275"}],
        }
    )
    assert isinstance(request, MerchandiseRedemption)
    [line] = world.redemptions().redeem(MERCHANT, request).items or []
    return line.redemptionId


def history(world: World, day: date) -> list[int]:
    answer = world.redemptions().history(MERCHANT, "RANACCAROL0001", day, day, 100, None)
    return [entry.redemptionId for entry in answer.redemptions or []]


@pytest.mark.parametrize(
    ("zone", "day", "other_day"), [("America/Los_Angeles", LOS_ANGELES_DAY, UTC_DAY), ("UTC", UTC_DAY, LOS_ANGELES_DAY)]
)
def test_a_redemption_is_in_the_history_of_its_business_date_only(zone, day, other_day):
    world = world_in(zone)
    redemption_id = redeem(world)
    assert history(world, day) == [redemption_id]
    assert history(world, other_day) == []
