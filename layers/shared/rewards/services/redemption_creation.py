"""POST /redemptions for CASHBACK, MERCHANDISE and TRAVEL: price the lines, then debit the pool and
record the lines and the request in one conditional transaction."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from rewards.domain import Caller
from rewards.errors import not_committed
from rewards.events import RedemptionCreated, RedemptionCreatedData
from rewards.ids import CommitIds, new_redemption_id, new_uuid
from rewards.ledger import BalanceMoved, Duplicate, IdTaken
from rewards.models.dr import (
    CashbackRedemption,
    MerchandiseRedemption,
    PointsRedemption,
    RedeemedItem,
    RedemptionResponse,
)
from rewards.money import plain
from rewards.records import Movement, NewRedemption, RedemptionLine
from rewards.rules.dates import business_date
from rewards.rules.redemption_rules import check_balance, check_eligible
from rewards.services.accounts import AccountContext, find_account, load_context, unknown_account
from rewards.services.redemption_pricing import Line, balance_cash, price_request
from rewards.services.redemption_replay import business_keys, first_answer, payload_hash, replay
from rewards.services.use_case import MAX_REBUILDS, UseCase
from rewards.timestamps import iso


class RedemptionCreation(UseCase):
    def redeem(
        self, caller: Caller, request: PointsRedemption, idempotency_key: str | None = None
    ) -> RedemptionResponse:
        fingerprint = payload_hash(request)
        keys = business_keys(caller, request.externalId, idempotency_key)
        if replayed := replay(self.ledger, keys, fingerprint, RedemptionResponse):
            return replayed
        account = find_account(self.ledger, self.hash_card, caller, request.userId, "RANAC", field="userId")
        check_eligible(account)
        context = load_context(self.ledger, self.config, account)
        priced = price_request(self.ledger, request, context.program)
        total = sum((line.priced.points for line in priced), Decimal(0))
        ids, request_id = CommitIds(""), new_uuid()
        line_ids = [new_redemption_id() for _ in priced]
        for rebuild in range(MAX_REBUILDS):
            check_balance(total, context.pool.balance)
            new = self._new_redemption(
                caller, request, context, priced, total, keys, fingerprint, ids, request_id, line_ids
            )
            try:
                stored = self.ledger.record_redemption(new)
            except Duplicate as duplicate:
                return first_answer(duplicate.existing, duplicate.role, fingerprint, RedemptionResponse)  # type: ignore[arg-type]
            except IdTaken:  # a random line id belongs to another redemption
                line_ids = [new_redemption_id() for _ in priced]
            except BalanceMoved as moved:
                if moved.pool is None:
                    raise unknown_account() from None
                context = replace(context, pool=moved.pool)
            else:
                return RedemptionResponse.model_validate_json(stored.response_json)
            self.spread(rebuild)
        raise not_committed()

    def _new_redemption(
        self,
        caller: Caller,
        request: PointsRedemption,
        context: AccountContext,
        priced: list[Line],
        total: Decimal,
        keys: dict[str, str],
        fingerprint: str,
        ids: CommitIds,
        request_id: str,
        line_ids: list[int],
    ) -> NewRedemption:
        now = self.clock()
        account, pool, program = context.account, context.pool, context.program
        balance = pool.balance - total
        lines = [
            redemption_line(caller, request, context, request_id, rid, line, iso(now))
            for rid, line in zip(line_ids, priced, strict=True)
        ]
        response = RedemptionResponse(
            id=request_id,
            pointBalance=balance,
            pointsName=program.pointsName,
            programName=program.programName,
            cashEquivalent=balance_cash(program, balance),
            currencyCode=program.currencyCode,
            items=[
                RedeemedItem(itemId=line.item_id, redemptionId=line.redemption_id, **{p.reference_field: p.reference})
                for line, p in zip(lines, priced, strict=True)
            ],
        )
        cash = sum((line.priced.cash for line in priced), Decimal(0))
        movement = Movement(
            pool_id=pool.poolId,
            points=total,
            cash=cash,
            currency=program.currencyCode,
            account_id=account.accountId,
            source="DR_REDEMPTION",
            reference=request_id,
            entry_id=ids.entry,
        )
        event = RedemptionCreated(
            eventId=ids.event,
            occurredAt=iso(now),
            programId=program.programId,
            clientId=caller.clientId,
            data=RedemptionCreatedData(
                id=request_id,
                redemptionType=request.redemptionType,
                accountId=account.accountId,
                lastFour=account.lastFour,
                redemptionIds=line_ids,
                pointsRedeemed=plain(total),
                cashEquivalent=plain(cash),
                currencyCode=program.currencyCode,
                pointBalance=plain(balance),
                externalId=request.externalId,
                occurredAt=iso(now),
            ),
        )
        return NewRedemption(
            keys=keys,
            lines=lines,
            fingerprint=fingerprint,
            response=response,
            business_date=business_date(now, program.timeZone),
            pool_seen=pool,
            movement=movement,
            event=event,
            commit_token=ids.token,
        )


def redemption_line(
    caller: Caller,
    request: PointsRedemption,
    context: AccountContext,
    request_id: str,
    redemption_id: int,
    line: Line,
    created_at: str,
) -> RedemptionLine:
    """One line, creditable up to its points."""
    account, program = context.account, context.program
    return RedemptionLine(
        redemption_id=redemption_id,
        request_id=request_id,
        item_id=new_uuid(),
        redemption_type=request.redemptionType,
        account_id=account.accountId,
        pool_id=account.poolId,
        program_id=program.programId,
        client_id=caller.clientId,
        created_at=created_at,
        points=line.priced.points,
        credited=Decimal(0),
        cash=line.priced.cash,
        currency=line.currency,
        quantity=line.quantity,
        processed_by=request.processedBy,
        external_id=request.externalId,
        matrix_item_id=line.matrix_item_id,
        redemption_item_id=line.item_id,
        description=line.description or request.description,
        details={**type_fields(request), **({"additionalDetails": line.additional} if line.additional else {})} or None,
    )


def type_fields(request: PointsRedemption) -> dict[str, Any]:
    """What a line keeps of its request's type: the cashback account, or the source and booking."""
    if isinstance(request, CashbackRedemption):
        return {"cashbackAccountId": request.cashbackAccountId}
    if isinstance(request, MerchandiseRedemption):
        return {"sourceCode": request.sourceCode} if request.sourceCode else {}
    return {
        key: value
        for key, value in {
            "sourceCode": request.sourceCode,
            "totalCashValue": request.totalCashValue,
            "bookingPointsRedeemed": request.pointsRedeemed,
        }.items()
        if value is not None
    }
