"""Digital Redemptions items of the ledger table (their keys are listed in ``ledger_items.py``).

A request's first line carries the request: its commit token, its fingerprint, the other lines'
references, and what its answer and its event hold beyond the lines (the balance after, the
program's names), so that both are rebuilt from the one item: an answer that a replay gives byte
for byte, and an event the notifier reads from the stream, in an item of under 1 KB.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rewards.adapters.dynamo import Item, dec
from rewards.adapters.ledger_items import (
    compact,
    credit_key,
    history_partition,
    line_key,
    request_key,
    unique_key,
)
from rewards.events import (
    RedemptionCreated,
    RedemptionCreatedData,
)
from rewards.models.dr import RedeemedItem, RedemptionResponse
from rewards.money import plain
from rewards.records import (
    CreditEntry,
    FulfilmentReport,
    NewCredit,
    NewRedemption,
    NewStatementCredit,
    RedemptionLine,
    StoredRequest,
)

REFERENCE_FIELDS = ("redemptionMatrixItemId", "redemptionItemId")


def line_sort_key(business_date: date, created_at: str, redemption_id: int) -> str:
    return f"{business_date.isoformat()}#{created_at}#REDEMPTION#{redemption_id}"


def credit_sort_key(business_date: date, created_at: str, credit_id: str) -> str:
    return f"{business_date.isoformat()}#{created_at}#CREDIT#{credit_id}"


def line_item(line: RedemptionLine, business_date: date) -> Item:
    pk, sk = line_key(line.redemption_id)
    return compact(
        {
            "pk": pk,
            "sk": sk,
            "gsi1pk": history_partition(line.account_id),
            "gsi1sk": line_sort_key(business_date, line.created_at, line.redemption_id),
            "rid": line.redemption_id,
            "req": line.request_id,
            "item": line.item_id,
            "rtype": line.redemption_type,
            "acct": line.account_id,
            "pool": line.pool_id,
            "prog": line.program_id,
            "client": line.client_id,
            "at": line.created_at,
            "pts": line.points,
            "credited": line.credited,
            "cash": line.cash,
            "cur": line.currency,
            "qty": line.quantity,
            "by": line.processed_by,
            "ext": line.external_id,
            "matrix": line.matrix_item_id,
            "ritem": line.redemption_item_id,
            "desc": line.description,
            "details": line.details or None,
            "fulfilment": fulfilment_to_item(line.fulfilment),
        }
    )


def fulfilment_to_item(report: FulfilmentReport | None) -> Item | None:
    if report is None:
        return None
    return compact({"status": report.status, "boDate": report.back_order_date, "at": report.reported_at})


def fulfilment_from_item(item: Item | None) -> FulfilmentReport | None:
    if not item:
        return None
    return FulfilmentReport(str(item["status"]), item.get("boDate"), str(item["at"]))


def line_from_item(item: Item) -> RedemptionLine:
    return RedemptionLine(
        redemption_id=int(item["rid"]),
        request_id=str(item["req"]),
        item_id=str(item["item"]),
        redemption_type=str(item["rtype"]),
        account_id=str(item["acct"]),
        pool_id=str(item["pool"]),
        program_id=str(item["prog"]),
        client_id=str(item["client"]),
        created_at=str(item["at"]),
        points=dec(item["pts"]),
        credited=dec(item["credited"]),
        cash=dec(item["cash"]),
        currency=str(item["cur"]),
        quantity=int(item["qty"]),
        processed_by=item.get("by"),
        external_id=item.get("ext"),
        matrix_item_id=item.get("matrix"),
        redemption_item_id=item.get("ritem"),
        description=item.get("desc"),
        details=dict(item["details"]) if "details" in item else None,
        fulfilment=fulfilment_from_item(item.get("fulfilment")),
    )


def first_line_item(new: NewRedemption) -> Item:
    """The first line, with the request: what its answer and its event need beyond the lines."""
    first, *others = new.lines
    response = new.response
    return {
        **line_item(first, new.business_date),
        "token": new.commit_token,
        "hash": new.fingerprint,
        "others": [[o.redemption_id, o.item_id, *reference(o)] for o in others] or None,
        "eventId": new.event.eventId,
        "eventType": new.event.eventType,
        "l4": new.event.data.lastFour,
        "tp": Decimal(new.event.data.pointsRedeemed),
        "tc": Decimal(new.event.data.cashEquivalent),
        "bal": response.pointBalance,
        "bcash": response.cashEquivalent,
        "pn": response.pointsName,
        "prn": response.programName,
        "rcur": response.currencyCode,
    }


def reference(line: RedemptionLine) -> list[str]:
    """(field, value) of the catalog reference the answer shows for a line."""
    if line.redemption_item_id is not None:
        return ["redemptionItemId", line.redemption_item_id]
    return ["redemptionMatrixItemId", line.matrix_item_id or ""]


def redemption_response(item: Item) -> RedemptionResponse:
    """The answer of a redemption request, rebuilt from its first line."""
    line = line_from_item(item)
    shown = [[line.redemption_id, line.item_id, *reference(line)], *item.get("others", [])]
    return RedemptionResponse(
        id=line.request_id,
        pointBalance=dec(item["bal"]),
        pointsName=item.get("pn"),
        programName=item.get("prn"),
        cashEquivalent=dec(item["bcash"]),
        currencyCode=item.get("rcur"),
        items=[
            RedeemedItem(itemId=str(item_id), redemptionId=int(rid), **{str(field): str(value)})
            for rid, item_id, field, value in shown
        ],
    )


def redemption_event(item: Item) -> RedemptionCreated:
    line = line_from_item(item)
    ids = [line.redemption_id, *(int(other[0]) for other in item.get("others", []))]
    return RedemptionCreated(
        eventId=str(item["eventId"]),
        occurredAt=line.created_at,
        programId=line.program_id,
        clientId=line.client_id,
        data=RedemptionCreatedData(
            id=line.request_id,
            redemptionType=line.redemption_type,
            accountId=line.account_id,
            lastFour=str(item["l4"]),
            redemptionIds=ids,
            pointsRedeemed=plain(dec(item["tp"])),
            cashEquivalent=plain(dec(item["tc"])),
            currencyCode=str(item.get("rcur")),
            pointBalance=plain(dec(item["bal"])),
            externalId=line.external_id,
            occurredAt=line.created_at,
        ),
    )


def stored_redemption(item: Item) -> StoredRequest:
    return StoredRequest(str(item["req"]), str(item["hash"]), redemption_response(item).model_dump_json())


def unique_item(business_key: str, kind: str, reference: str, created_at: str) -> Item:
    pk, sk = unique_key(business_key)
    return {"pk": pk, "sk": sk, "kind": kind, "reference": reference, "createdAt": created_at}


# -- credits --------------------------------------------------------------------------------------
def credit_item(new: NewCredit) -> Item:
    credit, line = new.credit, new.credit.line
    pk, sk = credit_key(credit.credit_id)
    return compact(
        {
            "pk": pk,
            "sk": sk,
            "gsi1pk": history_partition(line.account_id),
            "gsi1sk": credit_sort_key(new.business_date, credit.created_at, credit.credit_id),
            "cid": credit.credit_id,
            "rid": line.redemption_id,
            "req": line.request_id,
            "rtype": line.redemption_type,
            "acct": line.account_id,
            "prog": line.program_id,
            "client": credit.client_id,
            "at": credit.created_at,
            "cpts": credit.points,
            "ctotal": credit.total_credited,
            "cash": credit.cash,
            "cur": line.currency,
            "desc": credit.description,
            "token": new.commit_token,
            "hash": new.fingerprint,
            "response": new.response.model_dump_json(),
            "eventId": new.event.eventId,
            "eventType": new.event.eventType,
            "event": new.event.model_dump_json(),
        }
    )


def credit_from_item(item: Item) -> CreditEntry:
    """A credit as the history lists it (its line only as far as the credit item names it)."""
    line = RedemptionLine(
        redemption_id=int(item["rid"]),
        request_id=str(item["req"]),
        item_id="",
        redemption_type=str(item["rtype"]),
        account_id=str(item["acct"]),
        pool_id="",
        program_id=str(item["prog"]),
        client_id=str(item.get("client", "")),
        created_at=str(item["at"]),
        points=Decimal(0),
        credited=dec(item["ctotal"]),
        cash=Decimal(0),
        currency=str(item.get("cur", "")),
        quantity=1,
    )
    return CreditEntry(
        credit_id=str(item["cid"]),
        line=line,
        points=dec(item["cpts"]),
        total_credited=dec(item["ctotal"]),
        cash=dec(item.get("cash", 0)),
        description=item.get("desc"),
        client_id=str(item.get("client", "")),
        created_at=str(item["at"]),
    )


def stored_credit(item: Item) -> StoredRequest:
    return StoredRequest(str(item["cid"]), str(item["hash"]), str(item["response"]))


# -- statement credits ----------------------------------------------------------------------------
def statement_credit_item(new: NewStatementCredit, created_at: str) -> Item:
    pk, sk = request_key(new.credit_id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "DR_REQUEST",
        "clientId": new.client_id,
        "accountId": new.account_id,
        "redemptionType": "STATEMENT_CREDIT",
        "hash": new.fingerprint,
        "token": new.commit_token,
        "response": new.response.model_dump_json(),
        "createdAt": created_at,
        "eventId": new.event.eventId,
        "eventType": new.event.eventType,
        "event": new.event.model_dump_json(),
    }


def stored_statement_credit(item: Item) -> StoredRequest:
    return StoredRequest(str(item["pk"]).removeprefix("DRREQUEST#"), str(item["hash"]), str(item["response"]))
