"""POST /redemptions for CASHBACK, MERCHANDISE and TRAVEL: price the lines, then debit the pool and
record the lines, the request and its outbox event in one conditional transaction."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from rewards.adapters.dynamo import Op, TransactionRefused, TransientConflict
from rewards.adapters.ledger import LedgerMovement, OutboxEvent, iso
from rewards.adapters.redemptions import HISTORY_PREFIX, RedemptionStore, history_partition, redemption_key
from rewards.domain import Caller
from rewards.errors import Unavailable
from rewards.ids import new_redemption_id, new_uuid
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
from rewards.services.use_case import MAX_ATTEMPTS, UseCase

EVENT_REDEEMED = "dr.redemption.created"


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
        for attempt in range(MAX_ATTEMPTS):
            check_balance(total, context.pool.balance)
            response, ops = self._redemption_ops(caller, request, context, lines, total, keys, fingerprint)
            try:
                self.store.transact(ops)
            except TransactionRefused as refused:
                if refused.roles & {"unique", "idempotency"}:
                    return replayed_or_retry(replay_redemption(self.store, keys, fingerprint))
                context = load_context(self.store, self.config, account)  # balance moved, or an id was taken
                continue
            except TransientConflict:
                self.back_off(attempt)
                context = load_context(self.store, self.config, account)
                continue
            return response
        raise Unavailable("The redemption could not be committed; retry the request.")

    def _redemption_ops(
        self,
        caller: Caller,
        request: PointsRedemption,
        context: AccountContext,
        lines: list[Line],
        total: Decimal,
        keys: dict[str, str],
        fingerprint: str,
    ) -> tuple[RedemptionResponse, list[Op]]:
        now = self.clock()
        account, pool, program = context.account, context.pool, context.program
        request_id = new_uuid()
        balance = pool.balance - total
        ids = [new_redemption_id() for _ in lines]
        response = RedemptionResponse(
            id=request_id,
            pointBalance=balance,
            pointsName=program.pointsName,
            programName=program.programName,
            cashEquivalent=balance_cash(program, balance),
            currencyCode=program.currencyCode,
            items=[
                RedeemedItem(itemId=new_uuid(), redemptionId=rid, **{line.reference_field: line.reference})
                for rid, line in zip(ids, lines, strict=True)
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
        )
        ops.extend(self.store.movement_ops(movement, now))
        ops.extend(
            self.store.line_op(record)
            for record in line_records(caller, request, context, request_id, ids, lines, response, now)
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
                    redemptionIds=ids,
                )
            )
        )
        event = OutboxEvent(
            event_type=EVENT_REDEEMED,
            program_id=program.programId,
            client_id=caller.clientId,
            payload={
                "id": request_id,
                "redemptionType": request.redemptionType,
                "accountId": account.accountId,
                "lastFour": account.lastFour,
                "redemptionIds": ids,
                "pointsRedeemed": plain(total),
                "cashEquivalent": plain(cash),
                "currencyCode": program.currencyCode,
                "pointBalance": plain(balance),
                "externalId": request.externalId,
                "occurredAt": iso(now),
            },
        )
        ops.append(self.store.event_op(event, now))
        return response, ops


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
