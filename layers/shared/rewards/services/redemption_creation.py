"""POST /redemptions for CASHBACK, MERCHANDISE and TRAVEL: price the lines, then debit the pool and
record the lines, the request and its outbox event in one conditional transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from rewards.adapters.dynamo import TransactionRefused
from rewards.adapters.ledger import LedgerMovement, OutboxEvent, iso, pool_from_item
from rewards.adapters.redemptions import HISTORY_PREFIX, RedemptionStore, history_partition, redemption_key
from rewards.domain import Caller
from rewards.ids import CommitIds, new_redemption_id, new_uuid
from rewards.models.dr import (
    CashbackRedemption,
    MerchandiseRedemption,
    PointsRedemption,
    RedeemedItem,
    RedemptionResponse,
)
from rewards.money import plain
from rewards.rules.redemption_rules import check_balance, check_eligible
from rewards.services.accounts import AccountContext, find_account, load_context
from rewards.services.redemption_pricing import Line, balance_cash, price_request
from rewards.services.redemption_replay import (
    business_keys,
    payload_hash,
    replay_redemption,
    replayed_or_retry,
    request_record,
)
from rewards.services.use_case import Pending, UseCase

EVENT_REDEEMED = "dr.redemption.created"


@dataclass(frozen=True)
class RedemptionIds(CommitIds):
    """A redemption request's ids: the request (its record), each line's numeric id and item id."""

    lines: tuple[int, ...] = ()
    items: tuple[str, ...] = ()


def redemption_ids(count: int, request_id: str | None = None) -> RedemptionIds:
    return RedemptionIds(
        request_id or new_uuid(),
        lines=tuple(new_redemption_id() for _ in range(count)),
        items=tuple(new_uuid() for _ in range(count)),
    )


class RedemptionCreation(UseCase[RedemptionStore]):
    def redeem(
        self, caller: Caller, request: PointsRedemption, idempotency_key: str | None = None
    ) -> RedemptionResponse:
        fingerprint = payload_hash(request)
        keys = business_keys(caller, request.externalId, idempotency_key)
        if replayed := replay_redemption(self.store, keys, fingerprint):
            return replayed
        account = find_account(self.store, self.hash_card, caller, request.userId, "RANAC", field="userId")
        check_eligible(account)
        context = load_context(self.store, self.config, account)
        lines = price_request(self.store, request, context.program)
        total = sum((line.priced.points for line in lines), Decimal(0))
        ids = redemption_ids(len(lines))

        def build() -> Pending[RedemptionResponse]:
            check_balance(total, context.pool.balance)
            return self._redemption_ops(caller, request, context, lines, total, keys, fingerprint, ids)

        def committed(refused: TransactionRefused | None) -> RedemptionResponse | None:
            if refused is not None and "request" not in refused.roles:
                return None
            record = self.store.request_record(ids.record)
            if record is None or record.get("commitToken") != ids.token:
                return None
            return RedemptionResponse.model_validate_json(record["response"])

        def refused(error: TransactionRefused) -> RedemptionResponse | None:
            nonlocal context, ids
            if error.roles & {"unique", "idempotency"}:
                return replayed_or_retry(replay_redemption(self.store, keys, fingerprint))
            if error.roles & {"request", "record"}:  # a random id was taken by another redemption
                ids = redemption_ids(len(lines), None if "request" in error.roles else ids.record)
            if "balance" in error.roles:
                item = error.current.get("balance")
                pool = pool_from_item(item) if item else self.store.pool(context.pool.poolId)
                context = replace(context, pool=pool or context.pool)
            return None

        return self.commit_once(build, committed, refused)

    def _redemption_ops(
        self,
        caller: Caller,
        request: PointsRedemption,
        context: AccountContext,
        lines: list[Line],
        total: Decimal,
        keys: dict[str, str],
        fingerprint: str,
        ids: RedemptionIds,
    ) -> Pending[RedemptionResponse]:
        now = self.clock()
        account, pool, program = context.account, context.pool, context.program
        request_id = ids.record
        balance = pool.balance - total
        response = RedemptionResponse(
            id=request_id,
            pointBalance=balance,
            pointsName=program.pointsName,
            programName=program.programName,
            cashEquivalent=balance_cash(program, balance),
            currencyCode=program.currencyCode,
            items=[
                RedeemedItem(itemId=item_id, redemptionId=rid, **{line.reference_field: line.reference})
                for rid, item_id, line in zip(ids.lines, ids.items, lines, strict=True)
            ],
        )
        ops = [self.store.named_unique_op(role, key, request_id, now) for role, key in keys.items()]
        cash = sum((line.priced.cash for line in lines), Decimal(0))
        movement = LedgerMovement(
            pool_id=pool.poolId,
            points=total,
            cash=cash,
            currency=program.currencyCode,
            account_id=account.accountId,
            source="DR_REDEMPTION",
            reference=request_id,
            entry_id=ids.entry,
        )
        ops.extend(self.store.movement_ops(movement, now, pool.balance))
        ops.extend(
            self.store.line_op(record)
            for record in line_records(caller, request, context, request_id, list(ids.lines), lines, response, now)
        )
        ops.append(
            self.store.request_op(
                request_record(
                    request_id,
                    caller,
                    account.accountId,
                    request.redemptionType,
                    fingerprint,
                    response,
                    now,
                    redemptionIds=list(ids.lines),
                    commitToken=ids.token,
                )
            )
        )
        event = OutboxEvent(
            event_id=ids.event,
            event_type=EVENT_REDEEMED,
            program_id=program.programId,
            client_id=caller.clientId,
            payload={
                "id": request_id,
                "redemptionType": request.redemptionType,
                "accountId": account.accountId,
                "lastFour": account.lastFour,
                "redemptionIds": list(ids.lines),
                "pointsRedeemed": plain(total),
                "cashEquivalent": plain(cash),
                "currencyCode": program.currencyCode,
                "pointBalance": plain(balance),
                "externalId": request.externalId,
                "occurredAt": iso(now),
            },
        )
        ops.append(self.store.event_op(event, now))
        return Pending(ops, response)


def line_records(
    caller: Caller,
    request: PointsRedemption,
    context: AccountContext,
    request_id: str,
    ids: list[int],
    lines: list[Line],
    response: RedemptionResponse,
    now: datetime,
) -> list[dict[str, Any]]:
    """One REDEMPTION item per line, in the account's history, creditable up to its points."""
    account, pool, program = context.account, context.pool, context.program
    common = {
        "type": "REDEMPTION",
        "requestId": request_id,
        "redemptionType": request.redemptionType,
        "accountId": account.accountId,
        "poolId": pool.poolId,
        "programId": program.programId,
        "clientId": caller.clientId,
        "processedBy": request.processedBy,
        "externalId": request.externalId,
        "createdAt": iso(now),
        "gsi1pk": history_partition(account.accountId),
    }
    records = []
    for rid, line, shown in zip(ids, lines, response.items or [], strict=True):
        pk, sk = redemption_key(rid)
        records.append(
            {
                **common,
                "pk": pk,
                "sk": sk,
                "gsi1sk": f"{HISTORY_PREFIX}{iso(now)}#REDEMPTION#{rid}",
                "redemptionId": rid,
                "itemId": shown.itemId,
                "redemptionMatrixItemId": line.matrix_item_id,
                "redemptionItemId": line.item_id,
                "pointsRedeemed": line.priced.points,
                "creditablePoints": line.priced.points,
                "creditedPoints": Decimal(0),
                "cashEquivalent": line.priced.cash,
                "currencyCode": line.currency,
                "quantity": line.quantity,
                "description": line.description or request.description,
                "additionalDetails": line.additional,
                **type_fields(request),
            }
        )
    return records


def type_fields(request: PointsRedemption) -> dict[str, Any]:
    """What a line keeps of its request's type: the cashback account, or the source and booking."""
    if isinstance(request, CashbackRedemption):
        return {"cashbackAccountId": request.cashbackAccountId}
    if isinstance(request, MerchandiseRedemption):
        return {"sourceCode": request.sourceCode}
    return {
        "sourceCode": request.sourceCode,
        "totalCashValue": request.totalCashValue,
        "bookingPointsRedeemed": request.pointsRedeemed,
    }
