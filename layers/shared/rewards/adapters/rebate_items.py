"""Rebate items of the ledger table (docs/settlement.md, docs/design.md section 2):

REBATE#{reference} / REBATE                one rebate instruction; gsi2 (settlePk, settleSk) lists a
                                           client's business day, 16 shards: RBT#{client}#{day}#{nn}
SETTLEFILE#{client}#{day} / SETTLEFILE     the day's settlement file: number, state, totals, hash
SETTLESEQ#{client} / SETTLESEQ             the client's last file sequence number
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rewards.adapters.dynamo import Item, dec
from rewards.adapters.ledger_items import compact
from rewards.rules.rebates import shard_of
from rewards.settlement.records import FileState, RebateInstruction, RebateStatus, SettlementFile

SETTLE_INDEX = "gsi2"


def rebate_key(reference: str) -> tuple[str, str]:
    return f"REBATE#{reference}", "REBATE"


def day_partition(client_id: str, day: date, shard: int) -> str:
    return f"RBT#{client_id}#{day.isoformat()}#{shard:02d}"


def file_key(client_id: str, day: date) -> tuple[str, str]:
    return f"SETTLEFILE#{client_id}#{day.isoformat()}", "SETTLEFILE"


def sequence_key(client_id: str) -> tuple[str, str]:
    return f"SETTLESEQ#{client_id}", "SETTLESEQ"


def file_id(client_id: str, day: date, sequence: int) -> str:
    return f"{client_id}-{day:%Y%m%d}-{sequence:06d}"


def file_id_parts(value: str) -> tuple[str, date] | None:
    """(client, day) of a file id, or None when it is not one."""
    parts = value.rsplit("-", 2)
    if len(parts) != 3 or len(parts[1]) != 8 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    try:
        return parts[0], date(int(parts[1][:4]), int(parts[1][4:6]), int(parts[1][6:]))
    except ValueError:
        return None


def rebate_item(rebate: RebateInstruction) -> Item:
    pk, sk = rebate_key(rebate.reference)
    return compact(
        {
            "pk": pk,
            "sk": sk,
            "type": "REBATE",
            "settlePk": day_partition(rebate.client_id, rebate.business_date, shard_of(rebate.reference)),
            "settleSk": rebate.reference,
            "ref": rebate.reference,
            "src": rebate.source,
            "sid": rebate.source_id,
            "client": rebate.client_id,
            "prog": rebate.program_id,
            "acct": rebate.account_id,
            "ben": rebate.beneficiary,
            "pts": rebate.points,
            "cash": rebate.cash,
            "cur": rebate.currency,
            "day": rebate.business_date.isoformat(),
            "at": rebate.committed_at,
            "status": rebate.status.value,
            "file": rebate.file_id,
            "reason": rebate.reason,
            "ack": rebate.ack_key,
        }
    )


def rebate_from_item(item: Item) -> RebateInstruction:
    return RebateInstruction(
        reference=str(item["ref"]),
        source=str(item["src"]),
        source_id=str(item["sid"]),
        client_id=str(item["client"]),
        program_id=str(item["prog"]),
        account_id=str(item["acct"]),
        beneficiary=item.get("ben"),
        points=dec(item["pts"]),
        cash=dec(item["cash"]),
        currency=str(item["cur"]),
        business_date=date.fromisoformat(str(item["day"])),
        committed_at=str(item["at"]),
        status=RebateStatus(str(item["status"])),
        file_id=item.get("file"),
        reason=item.get("reason"),
        ack_key=item.get("ack"),
    )


def file_item(file: SettlementFile) -> Item:
    pk, sk = file_key(file.client_id, file.business_date)
    return compact(
        {
            "pk": pk,
            "sk": sk,
            "type": "SETTLEFILE",
            "fileId": file.file_id,
            "client": file.client_id,
            "day": file.business_date.isoformat(),
            "seq": file.sequence,
            "createdAt": file.created_at,
            "state": file.state.value,
            "lines": file.lines,
            "totals": dict(file.totals) or None,
            "sha256": file.sha256,
            "object": file.object_key,
        }
    )


def file_from_item(item: Item) -> SettlementFile:
    return SettlementFile(
        file_id=str(item["fileId"]),
        client_id=str(item["client"]),
        business_date=date.fromisoformat(str(item["day"])),
        sequence=int(item["seq"]),
        created_at=str(item["createdAt"]),
        state=FileState(str(item["state"])),
        lines=int(item.get("lines", 0)),
        totals={str(c): Decimal(str(a)) for c, a in dict(item.get("totals") or {}).items()},
        sha256=item.get("sha256"),
        object_key=item.get("object"),
    )
