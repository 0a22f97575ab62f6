"""The rebate use cases (docs/settlement.md): record the instruction a committed outcome owes,
settle a closed business day into one file per issuer, apply the issuer's acknowledgements, and
reconcile what left the ledger with what reached cardholders."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from rewards.errors import not_committed
from rewards.events import (
    CommittedEvent,
    RebateFileData,
    RebatePosted,
    RebateRejected,
    RebateRejectedData,
    RebateSent,
    RebatesPostedData,
)
from rewards.ids import CommitIds
from rewards.ledger import BalanceMoved, Ledger
from rewards.models.config import Client, Program, Settlement
from rewards.money import plain
from rewards.records import Movement
from rewards.rules.rebates import (
    Owed,
    cashback_lines_needed,
    day_closes_at,
    last_closed_day,
    rebates_owed,
    settlement_day,
)
from rewards.settlement.files import AckProblem, Tally, parse_ack, render
from rewards.settlement.ports import RebateChanged, RebateStore, SettlementBucket
from rewards.settlement.records import AckOutcome, FileState, RebateInstruction, RebateStatus, SettlementFile
from rewards.timestamps import iso, parse_iso

# A day is settled GRACE after its cut-off: longer than any function runs, so every commit of the
# day is in the table; what the recorder adds later still goes into the next file.
GRACE = timedelta(minutes=10)
CLAIM_CHUNK = 500  # instructions claimed together (in parallel by the store)
REJECTION_SOURCE = "REBATE_REJECTED"
MAX_REJECTION_TRIES = 8


class Directory(Protocol):
    def program(self, program_id: str) -> Program | None: ...

    def client(self, client_id: str) -> Client | None: ...


class RebateUnassigned(Exception):
    """No client to settle a rebate with: the program has no ISSUER and the request no client."""


class DayNotClosed(ValueError):
    """A business day is settled only once it has closed (its cut-off has passed)."""


class SettlementMismatch(Exception):
    """A rerun of a written file did not reproduce it: nothing was replaced (see docs/runbook.md)."""


@dataclass(frozen=True)
class SettlementResult:
    file: SettlementFile
    rerun: bool


def object_key(file: SettlementFile) -> str:
    d = file.business_date
    return f"settlement/{file.client_id}/{d.year:04d}/{d.month:02d}/{file.file_id}.csv"


def manifest(file: SettlementFile) -> dict[str, Any]:
    """The sidecar manifest: what a receiver checks the file against."""
    return {
        "format": "REBATES1",
        "fileId": file.file_id,
        "clientId": file.client_id,
        "businessDate": file.business_date.isoformat(),
        "sequence": file.sequence,
        "createdAt": file.created_at,
        "lines": file.lines,
        "totals": {currency: plain(amount) for currency, amount in sorted(file.totals.items())},
        "sha256": file.sha256,
        "object": file.object_key,
    }


class RebateService:
    def __init__(
        self,
        store: RebateStore,
        ledger: Ledger,
        directory: Directory,
        bucket: SettlementBucket | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self.store, self.ledger, self.directory, self.bucket, self.clock = store, ledger, directory, bucket, clock

    # -- recording ---------------------------------------------------------------------------
    def record(self, event: CommittedEvent) -> list[RebateInstruction]:
        """The instructions ``event`` owes, each recorded once (a redelivered event adds nothing)."""
        lines = {rid: line for rid in cashback_lines_needed(event) if (line := self.ledger.redemption_line(rid))}
        recorded = []
        for owed in rebates_owed(event, lines):
            rebate = self.instruction(owed)
            if self.store.add(rebate):
                recorded.append(rebate)
        return recorded

    def instruction(self, owed: Owed) -> RebateInstruction:
        client_id, settlement = self._issuer(owed)
        return RebateInstruction(
            reference=owed.reference,
            source=owed.source,
            source_id=owed.source_id,
            client_id=client_id,
            program_id=owed.program_id,
            account_id=owed.account_id,
            beneficiary=owed.beneficiary,
            points=owed.points,
            cash=owed.cash,
            currency=owed.currency,
            business_date=settlement_day(parse_iso(owed.committed_at), settlement.cutOffTime, settlement.timeZone),
            committed_at=owed.committed_at,
        )

    def _issuer(self, owed: Owed) -> tuple[str, Settlement]:
        """The program's ISSUER client, else the client that asked for the redemption."""
        program = self.directory.program(owed.program_id)
        client_id = (program.issuerClientId if program else None) or owed.requesting_client_id
        if not client_id:
            raise RebateUnassigned(f"{owed.reference}: program {owed.program_id} has no ISSUER client")
        return client_id, self.settlement_of(client_id)

    def settlement_of(self, client_id: str) -> Settlement:
        client = self.directory.client(client_id)
        return client.settlement if client else Settlement()

    # -- settling ----------------------------------------------------------------------------
    def settle(self, client_id: str, day: date) -> SettlementResult:
        """One file for (client, day): every PENDING instruction of that day and of the ``lateDays``
        before it. A rerun of a written day writes the identical file and moves nothing."""
        assert self.bucket is not None, "settling needs the bucket"
        settlement = self.settlement_of(client_id)
        now = self.clock()
        if now < day_closes_at(day, settlement.cutOffTime, settlement.timeZone) + GRACE:
            raise DayNotClosed(f"business day {day} of {client_id} has not closed (and {GRACE} passed) yet")
        file = self.store.open_file(client_id, day, iso(now))
        key = object_key(file)
        if file.state is FileState.WRITTEN:
            sha, _ = self.bucket.write_lines(
                key, render(file, self._described(self._members(file, settlement)), Tally())
            )
            if sha != file.sha256:
                raise SettlementMismatch(f"{file.file_id}: a rerun gave sha256 {sha}, the file has {file.sha256}")
            self.bucket.write_json(key + ".manifest.json", manifest(file))
            return SettlementResult(file, rerun=True)
        tally = Tally()
        sha, _ = self.bucket.write_lines(key, render(file, self._described(self._claimed(file, settlement)), tally))
        done = replace(
            file, state=FileState.WRITTEN, lines=tally.count, totals=tally.totals, sha256=sha, object_key=key
        )
        self.bucket.write_json(key + ".manifest.json", manifest(done))
        return SettlementResult(self.store.file_written(done, self._sent_event(done)), rerun=False)

    def settle_closed(self, client_ids: list[str]) -> list[SettlementResult]:
        """The scheduled run: each client's last business day closed at least GRACE ago, unless
        its file is already written."""
        results = []
        for client_id in client_ids:
            settlement = self.settlement_of(client_id)
            day = last_closed_day(self.clock() - GRACE, settlement.cutOffTime, settlement.timeZone)
            existing = self.store.file_of_day(client_id, day)
            if existing is None or existing.state is not FileState.WRITTEN:
                results.append(self.settle(client_id, day))
        return results

    def _days(self, file: SettlementFile, settlement: Settlement) -> list[date]:
        return [file.business_date - timedelta(days=n) for n in range(settlement.lateDays, -1, -1)]

    def _claimed(self, file: SettlementFile, settlement: Settlement) -> Iterator[RebateInstruction]:
        """The file's lines: claimed chunk by chunk, day by day, in the store's order."""
        for day in self._days(file, settlement):
            chunk: list[RebateInstruction] = []
            for rebate in self.store.of_day(file.client_id, day):
                if rebate.status is RebateStatus.PENDING or rebate.file_id == file.file_id:
                    chunk.append(rebate)
                if len(chunk) >= CLAIM_CHUNK:
                    yield from self.store.claim(chunk, file.file_id)
                    chunk = []
            if chunk:
                yield from self.store.claim(chunk, file.file_id)

    def _members(self, file: SettlementFile, settlement: Settlement) -> Iterator[RebateInstruction]:
        for day in self._days(file, settlement):
            yield from (r for r in self.store.of_day(file.client_id, day) if r.file_id == file.file_id)

    def _described(self, rebates: Iterator[RebateInstruction]) -> Iterator[tuple[RebateInstruction, str]]:
        for rebate in rebates:
            program = self.directory.program(rebate.program_id)
            yield rebate, program.rebateDescriptor if program else "Points rebate"

    def _sent_event(self, file: SettlementFile) -> RebateSent:
        return RebateSent(
            eventId=_derived_id("sent", file.file_id),
            occurredAt=iso(self.clock()),
            programId="",
            clientId=file.client_id,
            data=_file_data(file),
        )

    # -- acknowledgements --------------------------------------------------------------------
    def acknowledge(self, key: str) -> list[AckOutcome]:
        """Apply an acknowledgement file line by line; returns what became of each line."""
        assert self.bucket is not None, "acknowledgements are read from the bucket"
        try:
            client_id, file_id, lines, problems = parse_ack(self.bucket.read_text(key))
        except AckProblem as problem:
            return [AckOutcome(1, "", "REFUSED", str(problem))]
        outcomes = [AckOutcome(number, "", "REFUSED", problem) for number, problem in problems]
        file = self.store.file(file_id)
        if file is None or file.client_id != client_id:
            why = "no such settlement file" if file is None else "the settlement file belongs to another client"
            return outcomes + [AckOutcome(line.number, line.reference, "REFUSED", why) for line in lines]
        seen: set[str] = set()
        known = self.store.get_many(line.reference for line in lines)
        posted = Tally()
        for line in lines:
            rebate = known.get(line.reference)
            if line.reference in seen:
                outcomes.append(AckOutcome(line.number, line.reference, "REFUSED", "duplicate line in this file"))
                continue
            seen.add(line.reference)
            if rebate is None or rebate.file_id != file_id:
                outcomes.append(AckOutcome(line.number, line.reference, "REFUSED", "not a line of this file"))
                continue
            outcome = self._apply(line.number, rebate, line.status, line.reason, key)
            if outcome.result == "APPLIED" and line.status is RebateStatus.POSTED:
                posted.add(rebate)
            outcomes.append(outcome)
        if posted.count:
            self.store.acknowledged(self._posted_event(file, key, posted))
        return sorted(outcomes, key=lambda o: o.number)

    def _apply(
        self, number: int, rebate: RebateInstruction, status: RebateStatus, reason: str | None, key: str
    ) -> AckOutcome:
        """One line: its effect at most once; a line of this same acknowledgement that already took
        effect (a redelivery, or this run's own lost answer) is answered as applied again."""
        if rebate.status is not RebateStatus.SENT:
            return self._decided(number, rebate, status, key)
        if status is RebateStatus.POSTED:
            applied = self.store.post(rebate, reason, key)
        else:
            applied = self._reject(rebate, reason, key)
        if applied:
            return AckOutcome(number, rebate.reference, "APPLIED")
        now = self.store.get(rebate.reference)
        return self._decided(number, now or rebate, status, key)

    @staticmethod
    def _decided(number: int, rebate: RebateInstruction, status: RebateStatus, key: str) -> AckOutcome:
        if rebate.status is status:
            return AckOutcome(number, rebate.reference, "APPLIED" if rebate.ack_key == key else "ALREADY_APPLIED")
        if rebate.status is RebateStatus.SENT:
            return AckOutcome(number, rebate.reference, "REFUSED", "the rebate changed meanwhile")
        return AckOutcome(number, rebate.reference, "REFUSED", f"the rebate is already {rebate.status.value}")

    def _reject(self, rebate: RebateInstruction, reason: str | None, key: str) -> bool:
        """The points come back to the pool, once: the credit commits with the REJECTED status."""
        ids = CommitIds(rebate.reference)
        account = self.ledger.account(rebate.account_id)
        pool = self.ledger.pool(account.poolId) if account else None
        for _ in range(MAX_REJECTION_TRIES):
            if account is None or pool is None:
                raise not_committed()
            credit = Movement(
                pool_id=pool.poolId,
                points=rebate.points,
                cash=rebate.cash,
                currency=rebate.currency,
                account_id=account.accountId,
                source=REJECTION_SOURCE,
                reference=rebate.reference,
                kind="CREDIT",
                entry_id=ids.entry,
            )
            event = RebateRejected(
                eventId=ids.event,
                occurredAt=iso(self.clock()),
                programId=rebate.program_id,
                clientId=rebate.client_id,
                data=RebateRejectedData(
                    reference=rebate.reference,
                    fileId=rebate.file_id or "",
                    accountId=account.accountId,
                    lastFour=account.lastFour,
                    cashAmount=plain(rebate.cash),
                    currency=rebate.currency,
                    pointsCredited=plain(rebate.points),
                    pointBalance=plain(pool.balance + rebate.points),
                    reason=reason,
                    occurredAt=iso(self.clock()),
                ),
            )
            try:
                self.store.reject(rebate, reason, key, credit, pool.balance, event)
            except BalanceMoved as moved:
                pool = moved.pool  # the pool as it is now: decide the credit's balance again
                continue
            except RebateChanged:
                return False
            return True
        raise not_committed()

    def _posted_event(self, file: SettlementFile, key: str, posted: Tally) -> RebatePosted:
        data = _file_data(replace(file, lines=posted.count, totals=posted.totals))
        return RebatePosted(
            eventId=_derived_id("posted", key),
            occurredAt=iso(self.clock()),
            programId="",
            clientId=file.client_id,
            data=RebatesPostedData(**data.model_dump(), acknowledgement=key),
        )


def _file_data(file: SettlementFile) -> RebateFileData:
    return RebateFileData(
        fileId=file.file_id,
        clientId=file.client_id,
        businessDate=file.business_date.isoformat(),
        lines=file.lines,
        totals={currency: plain(amount) for currency, amount in sorted(file.totals.items())},
    )


def _derived_id(kind: str, name: str) -> str:
    """An event id derived from what it is about, so that doing it again is recognised."""
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:32]


def report_text(outcomes: list[AckOutcome]) -> str:
    """The acknowledgement report written beside the file: line,reference,result,detail."""
    rows = ["line,reference,result,detail"]
    rows += [f"{o.number},{o.reference},{o.result},{o.detail.replace(',', ';')}" for o in outcomes]
    return "\n".join(rows) + "\n"
