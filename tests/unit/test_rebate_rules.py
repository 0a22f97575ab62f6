"""The rebate rules and file formats (pure): business days at the cut-off, shards, what is owed,
the settlement file's control totals, the acknowledgement parser."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rewards.rules.rebates import (
    SHARDS,
    authorization_rebate,
    day_closes_at,
    last_closed_day,
    line_rebate,
    settlement_day,
    shard_of,
)
from rewards.services.rebate_states import rebate_states
from rewards.settlement.files import Tally, parse_ack, render
from rewards.settlement.records import RebateInstruction, RebateStatus, SettlementFile


def test_one_second_before_the_cut_off_is_today_and_the_cut_off_itself_tomorrow():
    cut = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert settlement_day(cut - timedelta(seconds=1), "17:00", "UTC") == date(2026, 11, 20)
    assert settlement_day(cut, "17:00", "UTC") == date(2026, 11, 21)


def test_a_midnight_cut_off_is_the_calendar_date_in_the_issuers_zone():
    moment = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 22:00 on the 20th in New York
    assert settlement_day(moment, "00:00", "America/New_York") == date(2026, 11, 20)
    assert settlement_day(moment, "00:00", "UTC") == date(2026, 11, 21)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(["00:00", "06:30", "17:00", "23:59"]),
    st.sampled_from(["UTC", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
)
def test_every_moment_belongs_to_the_day_that_closes_next(moment, cut_off, zone):
    day = settlement_day(moment, cut_off, zone)
    assert day_closes_at(day - timedelta(days=1), cut_off, zone) <= moment < day_closes_at(day, cut_off, zone)
    assert last_closed_day(day_closes_at(day, cut_off, zone), cut_off, zone) == day


@given(st.text(min_size=1, max_size=30))
def test_a_reference_always_has_the_same_shard_among_sixteen(reference):
    assert shard_of(reference) == shard_of(reference) and 0 <= shard_of(reference) < SHARDS


def test_references_spread_evenly_over_the_shards():
    counts = [0] * SHARDS
    for n in range(16_000):
        counts[shard_of(f"PWR-{1_000_000_000 + n}")] += 1
    assert max(counts) < 1.15 * 1000  # no shard takes much more than its sixteenth


def rebate(reference: str, cash: str, currency: str = "USD") -> RebateInstruction:
    return RebateInstruction(
        reference, "PWR", reference[4:], "issuer", "PROG", "RANAC1", None, Decimal(100), Decimal(cash), currency,
        date(2026, 11, 20), "2026-11-20T10:00:00Z", RebateStatus.SENT, "issuer-20261120-000001",
    )  # fmt: skip


def test_the_trailer_counts_the_lines_and_totals_each_currency():
    file = SettlementFile("issuer-20261120-000001", "issuer", date(2026, 11, 20), 1, "2026-11-21T00:10:00Z")
    rebates = [rebate("PWR-1", "10.50"), rebate("PWR-2", "0.25"), rebate("PWR-3", "7", "AUD")]
    tally = Tally()
    rows = list(csv.reader(io.StringIO("".join(render(file, [(r, "Points rebate") for r in rebates], tally)))))
    assert rows[0] == ["H", "REBATES1", "issuer", "2026-11-20", "1", "2026-11-21T00:10:00Z", file.file_id]
    assert [row[1] for row in rows[1:-1]] == ["1", "2", "3"] and rows[1][8] == "10.50"
    assert rows[-1] == ["T", "3", "AUD:7 USD:10.75"]
    assert tally.count == 3 and tally.totals == {"USD": Decimal("10.75"), "AUD": Decimal(7)}


def test_an_acknowledgement_is_read_line_by_line_and_its_bad_lines_reported():
    text = "H,ACK1,issuer,F1\nD,PWR-1,POSTED\nD,PWR-2,REJECTED,R03 closed\nD,PWR-3,LOST\nT,3\n"
    client, file_id, lines, problems = parse_ack(text)
    assert (client, file_id) == ("issuer", "F1")
    assert [(a.reference, a.status, a.reason) for a in lines] == [
        ("PWR-1", RebateStatus.POSTED, None),
        ("PWR-2", RebateStatus.REJECTED, "R03 closed"),
    ]
    assert problems == [(4, "status 'LOST' is neither POSTED nor REJECTED")]


def test_a_trailer_that_miscounts_is_a_problem():
    _, _, _, problems = parse_ack("H,ACK1,issuer,F1\nD,PWR-1,POSTED\nT,5\n")
    assert problems and "counts 5" in problems[0][1]


def test_a_listing_shows_the_rebate_of_what_owes_one_and_pending_until_it_is_recorded():
    assert authorization_rebate("A1", "60", Decimal("1.00")) == "PWR-A1"
    assert authorization_rebate("A1", "59", Decimal("1.00")) is None
    assert authorization_rebate("A1", "60", Decimal(0)) is None
    assert line_rebate(7, "CASHBACK", Decimal("2")) == "DR-7" and line_rebate(7, "MERCHANDISE", Decimal("2")) is None
    sent = RebateInstruction(
        reference="PWR-A1", source="PWR", source_id="A1", client_id="c", program_id="p", account_id="RANAC1",
        beneficiary=None, points=Decimal(100), cash=Decimal(1), currency="USD", business_date=date(2026, 11, 20),
        committed_at="2026-11-20T10:00:00Z", status=RebateStatus.SENT, file_id="F1",
    )  # fmt: skip
    calls: list[list[str]] = []

    class Lookup:
        def get_many(self, references):
            calls.append(list(references))
            return {"PWR-A1": sent}

    states = rebate_states(Lookup(), ["PWR-A1", None, "DR-7", "PWR-A1"])
    assert calls == [["PWR-A1", "DR-7"]]  # one read, each owed rebate once
    assert states["PWR-A1"].model_dump(exclude_none=True) == {"status": "SENT", "fileId": "F1"}
    assert states["DR-7"].model_dump(exclude_none=True) == {"status": "PENDING"}
    assert rebate_states(Lookup(), [None]) == {} and calls == [["PWR-A1", "DR-7"]]  # nothing owed: no read
    assert rebate_states(None, ["PWR-A1"]) == {}
