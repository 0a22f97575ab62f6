"""Reconciliation (read only): per client and business day, the cash the ledger's committed PWR
redemptions and CASHBACK lines owe equals the rebates PENDING + SENT + POSTED + REJECTED, every
instruction matches its source, and every REJECTED one has its points credit. Instructions older
than the client's ``postingDays`` and not POSTED are listed (docs/settlement.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from rewards.events import AuthorizationProcessed
from rewards.records import LedgerEntry
from rewards.rules.rebates import Owed, cashback_owed, rebates_owed
from rewards.settlement.records import RebateInstruction, RebateStatus
from rewards.settlement.service import RebateService
from rewards.timestamps import parse_iso

IN_FLIGHT = timedelta(minutes=15)  # a commit this recent may not have its instruction yet


@dataclass
class DayTotals:
    owed: dict[str, Decimal] = field(default_factory=dict)  # currency -> cash
    by_status: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # status -> currency -> cash

    def add_owed(self, currency: str, cash: Decimal) -> None:
        self.owed[currency] = self.owed.get(currency, Decimal(0)) + cash

    def add_rebate(self, rebate: RebateInstruction) -> None:
        amounts = self.by_status.setdefault(rebate.status.value, {})
        amounts[rebate.currency] = amounts.get(rebate.currency, Decimal(0)) + rebate.cash

    def rebated(self) -> dict[str, Decimal]:
        total: dict[str, Decimal] = {}
        for amounts in self.by_status.values():
            for currency, cash in amounts.items():
                total[currency] = total.get(currency, Decimal(0)) + cash
        return total


@dataclass
class Reconciliation:
    days: dict[tuple[str, date], DayTotals] = field(default_factory=lambda: defaultdict(DayTotals))
    mismatches: list[str] = field(default_factory=list)
    overdue: list[RebateInstruction] = field(default_factory=list)
    in_flight: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatches


def reconcile(service: RebateService, now: datetime, client_id: str | None = None) -> Reconciliation:
    store = service.store
    result = Reconciliation()
    owed: dict[str, Owed] = {}
    for source in store.committed_sources():
        found = rebates_owed(source) if isinstance(source, AuthorizationProcessed) else [cashback_owed(source)]
        owed.update((o.reference, o) for o in found if o is not None)
    rebates = {r.reference: r for r in store.everything() if client_id in (None, r.client_id)}
    for reference, expected in sorted(owed.items()):
        _check_source(service, result, expected, rebates.get(reference), now, client_id)
    credits = store.rejection_credits()
    for reference, rebate in sorted(rebates.items()):
        _check_rebate(service, result, rebate, reference in owed, credits.get(reference), now)
    for (client, day), totals in sorted(result.days.items()):
        if totals.owed != totals.rebated():
            result.mismatches.append(f"{client} {day}: owed {totals.owed}, rebates {totals.rebated()}")
    return result


def _check_source(
    service: RebateService,
    result: Reconciliation,
    expected: Owed,
    rebate: RebateInstruction | None,
    now: datetime,
    client_id: str | None,
) -> None:
    """A committed cash credit has its instruction, with the same amounts and account."""
    if rebate is None:
        instruction = service.instruction(expected)
        if client_id not in (None, instruction.client_id):
            return
        if now - parse_iso(expected.committed_at) < IN_FLIGHT:
            result.in_flight += 1
            return
        result.mismatches.append(f"{expected.reference}: committed {expected.cash} {expected.currency}, no instruction")
        result.days[(instruction.client_id, instruction.business_date)].add_owed(expected.currency, expected.cash)
        return
    result.days[(rebate.client_id, rebate.business_date)].add_owed(expected.currency, expected.cash)
    differs = [
        name
        for name, mine, theirs in (
            ("cash", rebate.cash, expected.cash),
            ("points", rebate.points, expected.points),
            ("currency", rebate.currency, expected.currency),
            ("account", rebate.account_id, expected.account_id),
        )
        if mine != theirs
    ]
    if differs:
        result.mismatches.append(f"{expected.reference}: the instruction's {', '.join(differs)} differ from the ledger")


def _check_rebate(
    service: RebateService,
    result: Reconciliation,
    rebate: RebateInstruction,
    has_source: bool,
    credit: LedgerEntry | None,
    now: datetime,
) -> None:
    """An instruction has its source; a REJECTED one (and only that) its points credit."""
    result.days[(rebate.client_id, rebate.business_date)].add_rebate(rebate)
    if not has_source:
        result.mismatches.append(f"{rebate.reference}: a rebate instruction with no committed redemption")
    if rebate.status is RebateStatus.REJECTED and (credit is None or credit.points != rebate.points):
        result.mismatches.append(f"{rebate.reference}: REJECTED without its {rebate.points}-point credit")
    if rebate.status is not RebateStatus.REJECTED and credit is not None:
        result.mismatches.append(f"{rebate.reference}: a REBATE_REJECTED credit for a rebate that is {rebate.status}")
    deadline = timedelta(days=service.settlement_of(rebate.client_id).postingDays)
    if rebate.status in (RebateStatus.PENDING, RebateStatus.SENT) and rebate.business_date < now.date() - deadline:
        result.overdue.append(rebate)


def summary(result: Reconciliation, out: Callable[[str], None]) -> None:
    """The report the command prints and the scheduled check logs."""
    out(f"{'client':<16}{'business day':<14}{'owed':>24}  rebates by status")
    for (client, day), totals in sorted(result.days.items()):
        owed = " ".join(f"{c}:{a}" for c, a in sorted(totals.owed.items())) or "-"
        statuses = "; ".join(
            f"{status} " + " ".join(f"{c}:{a}" for c, a in sorted(amounts.items()))
            for status, amounts in sorted(totals.by_status.items())
        )
        out(f"{client:<16}{day.isoformat():<14}{owed:>24}  {statuses or '-'}")
    for rebate in result.overdue:
        out(f"overdue: {rebate.reference} {rebate.status.value} since {rebate.business_date} (file {rebate.file_id})")
    if result.in_flight:
        out(f"{result.in_flight} commits of the last {IN_FLIGHT} have no instruction yet (not counted)")
    for mismatch in result.mismatches:
        out(f"MISMATCH {mismatch}")
    out("reconciled" if result.ok else f"{len(result.mismatches)} mismatch(es)")
