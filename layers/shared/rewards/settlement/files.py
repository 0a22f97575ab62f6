"""The settlement file and the acknowledgement file (docs/settlement.md): CSV, one record type per
line in the first column (H header, D detail, T trailer), fixed column order. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from rewards.money import plain
from rewards.settlement.records import AckLine, RebateInstruction, RebateStatus, SettlementFile

FORMAT = "REBATES1"
ACK_FORMAT = "ACK1"
DETAIL_COLUMNS = (
    "record",
    "line",
    "reference",
    "source",
    "sourceId",
    "programId",
    "accountId",
    "beneficiary",
    "cashAmount",
    "currency",
    "points",
    "businessDate",
    "committedAt",
    "descriptor",
)


def _row(values: Iterable[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["" if v is None else str(v) for v in values])
    return out.getvalue()


def header(file: SettlementFile) -> str:
    return _row(
        ["H", FORMAT, file.client_id, file.business_date.isoformat(), file.sequence, file.created_at, file.file_id]
    )


def detail(number: int, rebate: RebateInstruction, descriptor: str) -> str:
    return _row(
        [
            "D",
            number,
            rebate.reference,
            rebate.source,
            rebate.source_id,
            rebate.program_id,
            rebate.account_id,
            rebate.beneficiary,
            plain(rebate.cash),
            rebate.currency,
            plain(rebate.points),
            rebate.business_date.isoformat(),
            rebate.committed_at,
            descriptor,
        ]
    )


def totals_text(totals: dict[str, Decimal]) -> str:
    return " ".join(f"{currency}:{plain(totals[currency])}" for currency in sorted(totals))


def trailer(count: int, totals: dict[str, Decimal]) -> str:
    return _row(["T", count, totals_text(totals)])


@dataclass
class Tally:
    """What the lines written so far add up to: the trailer's count and totals."""

    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)

    def add(self, rebate: RebateInstruction) -> int:
        self.count += 1
        self.totals[rebate.currency] = self.totals.get(rebate.currency, Decimal(0)) + rebate.cash
        return self.count


def render(file: SettlementFile, rebates: Iterable[tuple[RebateInstruction, str]], tally: Tally) -> Iterator[str]:
    """The file, line by line: header, one detail per (rebate, descriptor), trailer. ``tally`` sums
    the lines as they go, so a file of any length streams."""
    yield header(file)
    for rebate, descriptor in rebates:
        yield detail(tally.add(rebate), rebate, descriptor)
    yield trailer(tally.count, tally.totals)


class AckProblem(ValueError):
    """The acknowledgement file as a whole cannot be read (no header, another format)."""


def parse_ack(text: str) -> tuple[str, str, list[AckLine], list[tuple[int, str]]]:
    """(client id, file id, readable lines, [(line number, problem)]) of an acknowledgement file:
    ``H,ACK1,clientId,fileId[,createdAt]``, then ``D,reference,POSTED|REJECTED[,reason]``, then
    ``T,count``. A malformed detail line is a problem of its own; the others still apply."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or len(rows[0]) < 4 or rows[0][0] != "H" or rows[0][1] != ACK_FORMAT:
        raise AckProblem(f"the first line must be H,{ACK_FORMAT},clientId,fileId")
    client_id, file_id = rows[0][2], rows[0][3]
    lines: list[AckLine] = []
    problems: list[tuple[int, str]] = []
    trailer_count: int | None = None
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if row[0] == "T":
            trailer_count = _count(row)
            continue
        if row[0] != "D" or len(row) < 3 or not row[1]:
            problems.append((number, "not a detail line D,reference,POSTED|REJECTED[,reason]"))
            continue
        if row[2] not in (RebateStatus.POSTED, RebateStatus.REJECTED):
            problems.append((number, f"status {row[2]!r} is neither POSTED nor REJECTED"))
            continue
        reason = row[3].strip() if len(row) > 3 and row[3].strip() else None
        lines.append(AckLine(number, row[1], RebateStatus(row[2]), reason))
    details = len(lines) + len(problems)
    if trailer_count is None:
        problems.append((len(rows) + 1, "no trailer T,count"))
    elif trailer_count != details:
        problems.append((len(rows), f"the trailer counts {trailer_count} lines, the file has {details}"))
    return client_id, file_id, lines, problems


def _count(row: list[str]) -> int | None:
    try:
        return int(Decimal(row[1])) if len(row) > 1 else None
    except (InvalidOperation, ValueError):
        return None
