"""``bench.settlement --synthetic``: one file of N lines through the real settlement use case and
``S3SettlementBucket``, with storage that costs nothing: the day's instructions are generated as
the use case reads them, a claim only stamps the file id, and the S3 client keeps each part's size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bench.settlement import DAY, peak_resident_bytes, resident_bytes
from rewards.adapters.settlement_bucket import S3SettlementBucket
from rewards.events import RebateSent
from rewards.models.config import Client, Program
from rewards.settlement.records import RebateInstruction, SettlementFile
from rewards.settlement.service import RebateService

CLIENT, PROGRAM = "demo-issuer", "PWRDEMO"


class GeneratedDay:
    """The store's side of settling one day: N PENDING instructions, generated in order."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.files: dict[str, SettlementFile] = {}

    def of_day(self, client_id: str, day: date) -> Iterator[RebateInstruction]:
        if day != DAY:
            return
        for n in range(self.lines):
            yield RebateInstruction(
                f"PWR-{1_000_000_000 + n}", "PWR", str(1_000_000_000 + n), client_id, PROGRAM,
                f"RANAC{n % 5000:09d}", None, Decimal(2000), Decimal("20.00"), "USD", DAY, "2026-11-20T12:00:00Z",
            )  # fmt: skip

    def claim(self, rebates: list[RebateInstruction], file_id: str) -> list[RebateInstruction]:
        return [replace(rebate, file_id=file_id) for rebate in rebates]

    def open_file(self, client_id: str, day: date, created_at: str) -> SettlementFile:
        file_id = f"F{day:%Y%m%d}-1"
        return self.files.setdefault(client_id, SettlementFile(file_id, client_id, day, 1, created_at))

    def file_written(self, file: SettlementFile, event: RebateSent) -> SettlementFile:
        self.files[file.client_id] = file
        return file


class PartSizes:
    """An S3 client for multipart uploads that keeps only the size of each part."""

    def __init__(self) -> None:
        self.parts: list[int] = []

    def create_multipart_upload(self, **_: Any) -> dict[str, str]:
        return {"UploadId": "synthetic"}

    def upload_part(self, Body: bytes, **_: Any) -> dict[str, str]:
        self.parts.append(len(Body))
        return {"ETag": f'"{len(self.parts)}"'}

    def complete_multipart_upload(self, **_: Any) -> None:
        pass

    def abort_multipart_upload(self, **_: Any) -> None:
        pass

    def put_object(self, **_: Any) -> None:
        pass


class Directory:
    """No program or client configuration: the default descriptor and settlement settings."""

    def program(self, program_id: str) -> Program | None:
        return None

    def client(self, client_id: str) -> Client | None:
        return None


def run(lines: int) -> None:
    print(
        f"settlement bench --synthetic {datetime.now(UTC).isoformat(timespec='seconds')}: load average "
        f"{os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, {lines} lines in one file"
    )
    s3 = PartSizes()
    service = RebateService(GeneratedDay(lines), None, Directory(), S3SettlementBucket(s3, "synthetic"))  # type: ignore[arg-type]
    service.clock = lambda: datetime(2026, 11, 21, 0, 15, tzinfo=UTC)
    before = resident_bytes()
    started, cpu = time.perf_counter(), time.process_time()
    result = service.settle(CLIENT, DAY)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    growth = peak_resident_bytes() - before
    size = sum(s3.parts)
    print(
        f"settled {result.file.lines} lines ({size / 1e6:.0f} MB in {len(s3.parts)} parts, "
        f"totals {result.file.totals}) "
        f"in {elapsed:.1f} s wall, {cpu:.1f} s CPU ({result.file.lines / elapsed:.0f} lines/s); "
        f"peak resident set grew {growth / 1e6:.0f} MB (process {peak_resident_bytes() / 1e6:.0f} MB)"
    )
