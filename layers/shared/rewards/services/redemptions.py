"""Digital Redemptions use cases: redeem (CASHBACK, MERCHANDISE, TRAVEL), record a model-2
statement credit, credit (reverse) a redemption line, and list an account's history."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, TypeVar

from rewards.adapters.config_store import ConfigStore
from rewards.adapters.dynamo import Item, Op, TransactionRefused, TransientConflict
from rewards.adapters.ledger import LedgerMovement, OutboxEvent, iso
from rewards.adapters.redemptions import (
    HISTORY_PREFIX,
    TOKEN_KEYS,
    RedemptionStore,
    credit_key,
    history_partition,
    redemption_key,
    request_key,
)
from rewards.domain import Caller, ClientRole
from rewards.errors import Conflict, InvalidField, NotFound, Unavailable
from rewards.ids import new_authorization_id, new_redemption_id, new_uuid
from rewards.models.config import Program, RewardItem
from rewards.models.dr import (
    CashbackRedemption,
    CatalogLine,
    CreditRequest,
    CreditResponse,
    HistoryEntry,
    MerchandiseRedemption,
    PointsRedemption,
    RedeemedItem,
    RedemptionHistory,
    RedemptionResponse,
    StatementCredit,
    TravelRedemption,
)
from rewards.money import CENT, cash_for_points, plain
from rewards.rules.reasons import ReasonCode
from rewards.rules.redemption_rules import (
    PricedLine,
    Pricing,
    check_balance,
    check_eligible,
    check_external_item,
    check_whole_points,
    credit_points,
    price_cashback,
    price_line,
)
from rewards.services.accounts import AccountContext, CardHasher, find_account, load_context

MAX_ATTEMPTS = 6
MAX_DATE_RANGE_DAYS = 366
EVENT_REDEEMED = "dr.redemption.created"
EVENT_CREDITED = "dr.redemption.credited"
EVENT_STATEMENT_CREDIT = "dr.statement_credit.recorded"

Clock = Callable[[], datetime]
R = TypeVar("R")


def utc_now() -> datetime:
    return datetime.now(UTC)


def payload_hash(payload: Any) -> str:
    """Fingerprint of a validated request, to tell a retry from a different request with the same key."""
    text = payload.model_dump_json() if hasattr(payload, "model_dump_json") else json.dumps(payload, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def base_cost_per_point(program: Program) -> Decimal:
    """Cash value of one point at the program's base conversion (its first tier)."""
    return program.baseConversion.tiers[0].costPerPoint


def unreadable() -> Unavailable:
    return Unavailable("The original request is not readable yet; retry the request.")


def replayed_or_retry(response: R | None) -> R:
    """After a refused uniqueness key: the first response, or 503 while it is not readable yet."""
    if response is None:
        raise unreadable()
    return response


def balance_cash(program: Program, balance: Decimal) -> Decimal:
    return cash_for_points(balance, base_cost_per_point(program))


@dataclass(frozen=True)
class Line:
    """A priced line with its catalog reference, ready to record."""

    reference_field: str  # redemptionItemId or redemptionMatrixItemId
    reference: str
    matrix_item_id: str | None
    item_id: str | None
    priced: PricedLine
    currency: str
    quantity: int
    description: str | None
    additional: dict[str, Any] | None


class RedemptionService:
    def __init__(
        self,
        store: RedemptionStore,
        config: ConfigStore,
        hash_card: CardHasher,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.config = config
        self.hash_card = hash_card
        self.clock = clock
        self.sleep = sleep

    # -- POST /redemptions -----------------------------------------------------------------
    def redeem(
        self, caller: Caller, request: PointsRedemption, idempotency_key: str | None = None
    ) -> RedemptionResponse:
        fingerprint = payload_hash(request)
        keys = self._business_keys(caller, request.externalId, idempotency_key)
        if replayed := self._replay(keys, fingerprint):
            return replayed
        account = find_account(self.store, self.hash_card, caller, request.userId, "RANAC", field="userId")
        check_eligible(account)
        context = load_context(self.store, self.config, account)
        lines = self._price(request, context)
        total = sum((line.priced.points for line in lines), Decimal(0))
        for attempt in range(MAX_ATTEMPTS):
            check_balance(total, context.pool.balance)
            response, ops = self._redemption_ops(caller, request, context, lines, total, keys, fingerprint)
            try:
                self.store.transact(ops)
            except TransactionRefused as refused:
                if refused.roles & {"unique", "idempotency"}:
                    return replayed_or_retry(self._replay(keys, fingerprint))
                context = load_context(self.store, self.config, account)  # balance moved, or an id was taken
                continue
            except TransientConflict:
                self.sleep(0.02 * 2**attempt)
                context = load_context(self.store, self.config, account)
                continue
            return response
        raise Unavailable("The redemption could not be committed; retry the request.")

    @staticmethod
    def _business_keys(caller: Caller, external_id: str | None, idempotency_key: str | None) -> dict[str, str]:
        keys = {}
        if external_id:
            keys["unique"] = f"DR#{caller.clientId}#{external_id}"
        if idempotency_key:
            keys["idempotency"] = f"IDEM#{caller.clientId}#{idempotency_key}"
        return keys

    def _replay(self, keys: dict[str, str], fingerprint: str) -> RedemptionResponse | None:
        """The first response for a key already used; 409 when the same key came with another request."""
        for role, key in keys.items():
            reference = self.store.unique_reference(key)
            if reference is None:
                continue
            record = self.store.request_record(reference)
            if record is None:
                raise unreadable()
            if record["payloadHash"] != fingerprint:
                name = "externalId" if role == "unique" else "Idempotency-Key"
                raise Conflict(
                    f"This {name} was already used for a different request.",
                    reason_code="DUPLICATE_EXTERNAL_ID" if role == "unique" else "IDEMPOTENCY_KEY_REUSED",
                    details=name,
                )
            return RedemptionResponse.model_validate_json(record["response"])
        return None

    def _price(self, request: PointsRedemption, context: AccountContext) -> list[Line]:
        program = context.program
        if isinstance(request, CashbackRedemption):
            self._check_cashback_account(request.cashbackAccountId, program)
            lines = []
            for index, cashback in enumerate(request.items):
                prefix = f"items[{index}]"
                item = self._catalog_item(program, None, cashback.redemptionMatrixItemId, prefix)
                priced = price_cashback(
                    cashback.pointsRedeemed, cashback.cashbackAmount, self._pricing(program, item), prefix
                )
                lines.append(
                    Line(
                        "redemptionMatrixItemId",
                        cashback.redemptionMatrixItemId,
                        cashback.redemptionMatrixItemId,
                        None,
                        priced,
                        item.currencyCode or program.currencyCode,
                        cashback.quantity,
                        cashback.description,
                        None,
                    )
                )
            return lines
        if (
            isinstance(request, TravelRedemption)
            and request.currencyCode is not None
            and request.currencyCode != program.currencyCode
        ):
            raise InvalidField(
                "currencyCode",
                f"currencyCode must be the program currency {program.currencyCode}",
                reason_code="CURRENCY_MISMATCH",
            )
        lines = [
            self._catalog_line(line, index, program, request.sourceCode) for index, line in enumerate(request.items)
        ]
        if isinstance(request, TravelRedemption) and request.pointsRedeemed is not None:
            check_whole_points(request.pointsRedeemed, program.wholePointsOnly, "pointsRedeemed")
            if sum((line.priced.points for line in lines), Decimal(0)) > request.pointsRedeemed:
                raise InvalidField(
                    "pointsRedeemed",
                    "pointsRedeemed (the booking total) is less than the points of its items",
                    reason_code="POINTS_TOTAL_MISMATCH",
                )
        return lines

    def _catalog_line(self, line: CatalogLine, index: int, program: Program, source_code: str | None) -> Line:
        prefix = f"items[{index}]"
        additional = None
        if line.additionalDetails is not None:
            check_external_item(prefix, line.additionalDetails.itemSkuCode, source_code)
            additional = line.additionalDetails.model_dump(exclude_none=True)
        item = self._catalog_item(program, line.redemptionItemId, line.redemptionMatrixItemId, prefix)
        priced = price_line(line.pointsRedeemed, line.cashEquivalent, self._pricing(program, item), prefix)
        field, reference = (
            ("redemptionItemId", line.redemptionItemId)
            if line.redemptionItemId is not None
            else ("redemptionMatrixItemId", line.redemptionMatrixItemId or "")
        )
        return Line(
            field,
            reference,
            line.redemptionMatrixItemId,
            line.redemptionItemId,
            priced,
            item.currencyCode or program.currencyCode,
            line.quantity,
            line.description,
            additional,
        )

    @staticmethod
    def _catalog_item(program: Program, item_id: str | None, matrix_id: str | None, prefix: str) -> RewardItem:
        """The item that prices a line: the redemption item when given, else the matrix item; both must exist."""
        catalog = program.catalog
        matrix = None
        if matrix_id is not None:
            matrix = catalog.matrix_item(matrix_id)
            if matrix is None:
                raise InvalidField(
                    f"{prefix}.redemptionMatrixItemId",
                    f"redemptionMatrixItemId {matrix_id} is not in the program's reward matrix",
                    reason_code="UNKNOWN_ITEM",
                )
        if item_id is not None:
            item = catalog.redemption_item(item_id)
            if item is None:
                raise InvalidField(
                    f"{prefix}.redemptionItemId",
                    f"redemptionItemId {item_id} is not in the program's catalog",
                    reason_code="UNKNOWN_ITEM",
                )
            return item
        assert matrix is not None  # the request model requires one of the two
        return matrix

    @staticmethod
    def _pricing(program: Program, item: RewardItem) -> Pricing:
        return Pricing(item.costPerPoint, program.roundingMethod, program.wholePointsOnly)

    def _check_cashback_account(self, account_id: str, program: Program) -> None:
        target = self.store.account(account_id)
        if target is None or target.programId != program.programId:
            raise InvalidField(
                "cashbackAccountId",
                "cashbackAccountId is not an account of this program",
                reason_code="UNKNOWN_ACCOUNT",
            )

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
        for rid, line, shown in zip(ids, lines, response.items or [], strict=True):
            pk, sk = redemption_key(rid)
            ops.append(
                self.store.line_op(
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
                        **self._type_fields(request),
                    }
                )
            )
        pk, sk = request_key(request_id)
        ops.append(
            self.store.request_op(
                {
                    "pk": pk,
                    "sk": sk,
                    "type": "DR_REQUEST",
                    "clientId": caller.clientId,
                    "accountId": account.accountId,
                    "redemptionType": request.redemptionType,
                    "payloadHash": fingerprint,
                    "redemptionIds": ids,
                    "response": response.model_dump_json(),
                    "createdAt": iso(now),
                }
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

    @staticmethod
    def _type_fields(request: PointsRedemption) -> dict[str, Any]:
        if isinstance(request, CashbackRedemption):
            return {"cashbackAccountId": request.cashbackAccountId}
        if isinstance(request, MerchandiseRedemption):
            return {"sourceCode": request.sourceCode}
        return {
            "sourceCode": request.sourceCode,
            "totalCashValue": request.totalCashValue,
            "bookingPointsRedeemed": request.pointsRedeemed,
        }

    # -- STATEMENT_CREDIT (PWR integration model 2) -----------------------------------------
    def statement_credit(self, caller: Caller, request: StatementCredit) -> RedemptionResponse:
        """Record the client's own redemption on a processed authorization; no points move here."""
        fingerprint = payload_hash(request)
        keys = self._business_keys(caller, request.externalId, None)
        if replayed := self._replay(keys, fingerprint):
            return replayed
        account = find_account(self.store, self.hash_card, caller, request.userId, request.userIdType, field="userId")
        program = load_context(self.store, self.config, account).program
        try:
            reason = ReasonCode(request.reasonCode)
        except ValueError:
            raise InvalidField(
                "reasonCode", f"reasonCode must be one of {', '.join(c.value for c in ReasonCode)}"
            ) from None
        check_whole_points(request.pointsRedeemed, program.wholePointsOnly, "pointsRedeemed")
        authorization = self.store.authorization_item(request.paymentAuthId)
        if authorization is None or authorization["accountId"] != account.accountId:
            raise NotFound("No authorization with this id for this account.", reason_code="AUTHORIZATION_NOT_FOUND")
        if "statementCredit" in authorization:
            raise Conflict(
                "A statement credit is already recorded for this authorization.", reason_code="ALREADY_CREDITED"
            )
        now = self.clock()
        credit_id = new_authorization_id()
        response = RedemptionResponse(id=credit_id)
        credit = {
            "id": credit_id,
            "externalId": request.externalId,
            "clientId": caller.clientId,
            "pointsRedeemed": request.pointsRedeemed,
            "cashBackAmount": request.cashBackAmount,
            "reasonCode": reason.value,
            "description": request.description,
            "recordedAt": iso(now),
        }
        pk, sk = request_key(credit_id)
        ops = [
            self.store.named_unique_op("unique", keys["unique"], credit_id, now),
            self.store.statement_credit_op(
                request.paymentAuthId,
                account.accountId,
                {
                    "statementCredit": {k: v for k, v in credit.items() if v is not None},
                    "responseReasonId": reason.value,
                    "responseReasonDesc": reason.description,
                    "pointsRedeemed": plain(request.pointsRedeemed),
                    "cashBackAmount": request.cashBackAmount,
                },
            ),
            self.store.request_op(
                {
                    "pk": pk,
                    "sk": sk,
                    "type": "DR_REQUEST",
                    "clientId": caller.clientId,
                    "accountId": account.accountId,
                    "redemptionType": request.redemptionType,
                    "payloadHash": fingerprint,
                    "response": response.model_dump_json(),
                    "createdAt": iso(now),
                }
            ),
            self.store.event_op(
                OutboxEvent(
                    event_type=EVENT_STATEMENT_CREDIT,
                    program_id=program.programId,
                    client_id=caller.clientId,
                    payload={**credit, "paymentAuthId": request.paymentAuthId, "accountId": account.accountId},
                ),
                now,
            ),
        ]
        try:
            self.store.transact(ops)
        except TransactionRefused as refused:
            if "unique" in refused.roles:
                return replayed_or_retry(self._replay(keys, fingerprint))
            if "authorization" in refused.roles:
                raise Conflict(
                    "A statement credit is already recorded for this authorization.", reason_code="ALREADY_CREDITED"
                ) from None
            raise Unavailable("The statement credit could not be committed; retry the request.") from None
        except TransientConflict:
            raise Unavailable("The statement credit could not be committed; retry the request.") from None
        return response

    # -- POST /redemptions/{id}/credits ------------------------------------------------------
    def credit(
        self, caller: Caller, redemption_id: int, request: CreditRequest, idempotency_key: str | None = None
    ) -> CreditResponse:
        fingerprint = payload_hash({"redemptionId": redemption_id, "request": request.model_dump(mode="json")})
        key = f"IDEMCREDIT#{caller.clientId}#{idempotency_key}" if idempotency_key else None
        if key and (replayed := self._replay_credit(key, fingerprint)):
            return replayed
        for attempt in range(MAX_ATTEMPTS):
            line = self._creditable_line(caller, redemption_id)
            program = self.config.program(line["programId"])
            pool = self.store.pool(line["poolId"])
            if program is None or pool is None:
                raise NotFound("No redemption with this id.", reason_code="REDEMPTION_NOT_FOUND")
            points = credit_points(
                request.pointsCredited,
                Decimal(line["pointsRedeemed"]),
                Decimal(line["creditedPoints"]),
                program.wholePointsOnly,
            )
            response, ops = self._credit_ops(caller, line, program, pool.balance, points, request, key, fingerprint)
            try:
                self.store.transact(ops)
            except TransactionRefused as refused:
                if "idempotency" in refused.roles and key:
                    return replayed_or_retry(self._replay_credit(key, fingerprint))
                continue  # another credit landed first: read the line again
            except TransientConflict:
                self.sleep(0.02 * 2**attempt)
                continue
            return response
        raise Unavailable("The credit could not be committed; retry the request.")

    def _replay_credit(self, key: str, fingerprint: str) -> CreditResponse | None:
        reference = self.store.unique_reference(key)
        if reference is None:
            return None
        record = self.store.credit_record(reference)
        if record is None:
            raise unreadable()
        if record["payloadHash"] != fingerprint:
            raise Conflict(
                "This Idempotency-Key was already used for a different request.",
                reason_code="IDEMPOTENCY_KEY_REUSED",
                details="Idempotency-Key",
            )
        return CreditResponse.model_validate_json(record["response"])

    def _creditable_line(self, caller: Caller, redemption_id: int) -> Item:
        """The line, if the caller's programs reach it; a merchant only reaches its own redemptions."""
        line = self.store.redemption(redemption_id)
        if (
            line is None
            or not caller.may_access(line["programId"])
            or (caller.role is ClientRole.MERCHANT and line["clientId"] != caller.clientId)
        ):
            raise NotFound("No redemption with this id.", reason_code="REDEMPTION_NOT_FOUND")
        return line

    def _credit_ops(
        self,
        caller: Caller,
        line: Item,
        program: Program,
        balance: Decimal,
        points: Decimal,
        request: CreditRequest,
        key: str | None,
        fingerprint: str,
    ) -> tuple[CreditResponse, list[Op]]:
        now = self.clock()
        credit_id = new_uuid()
        redemption_id = int(line["redemptionId"])
        redeemed = Decimal(line["pointsRedeemed"])
        credited = Decimal(line["creditedPoints"]) + points
        new_balance = balance + points
        cash = self._credit_cash(line, points)
        response = CreditResponse(
            id=credit_id,
            redemptionId=redemption_id,
            pointsCredited=points,
            totalPointsCredited=credited,
            remainingCreditablePoints=redeemed - credited,
            pointBalance=new_balance,
            cashEquivalent=balance_cash(program, new_balance),
            currencyCode=program.currencyCode,
            pointsName=program.pointsName,
            programName=program.programName,
        )
        movement = LedgerMovement(
            pool_id=line["poolId"],
            points=points,
            cash=cash,
            currency=line.get("currencyCode", program.currencyCode),
            account_id=line["accountId"],
            source="DR_CREDIT",
            reference=str(redemption_id),
            kind="CREDIT",
        )
        pk, sk = credit_key(credit_id)
        ops = [
            self.store.credit_line_op(redemption_id, points),
            *self.store.movement_ops(movement, now),
            self.store.record_op(
                {
                    "pk": pk,
                    "sk": sk,
                    "type": "CREDIT",
                    "creditId": credit_id,
                    "redemptionId": redemption_id,
                    "requestId": line["requestId"],
                    "redemptionType": line["redemptionType"],
                    "accountId": line["accountId"],
                    "programId": line["programId"],
                    "clientId": caller.clientId,
                    "pointsCredited": points,
                    "totalPointsCredited": credited,
                    "cashEquivalent": cash,
                    "currencyCode": line.get("currencyCode"),
                    "description": request.description,
                    "payloadHash": fingerprint,
                    "response": response.model_dump_json(),
                    "createdAt": iso(now),
                    "gsi1pk": history_partition(line["accountId"]),
                    "gsi1sk": f"{HISTORY_PREFIX}{iso(now)}#CREDIT#{credit_id}",
                }
            ),
            self.store.event_op(
                OutboxEvent(
                    event_type=EVENT_CREDITED,
                    program_id=program.programId,
                    client_id=caller.clientId,
                    payload={
                        "creditId": credit_id,
                        "redemptionId": redemption_id,
                        "accountId": line["accountId"],
                        "pointsCredited": plain(points),
                        "remainingCreditablePoints": plain(redeemed - credited),
                        "pointBalance": plain(new_balance),
                        "occurredAt": iso(now),
                    },
                ),
                now,
            ),
        ]
        if key:
            ops.append(self.store.named_unique_op("idempotency", key, credit_id, now))
        return response, ops

    @staticmethod
    def _credit_cash(line: Item, points: Decimal) -> Decimal:
        """The cash share of the credited points, pro rata of the line (to the cent, never more)."""
        redeemed = Decimal(line["pointsRedeemed"])
        share = Decimal(line.get("cashEquivalent", 0)) * points / redeemed
        return share.quantize(CENT, rounding=ROUND_FLOOR)

    # -- GET /redemptions ---------------------------------------------------------------------
    def history(
        self,
        caller: Caller,
        user_id: str,
        from_date: date,
        to_date: date,
        limit: int,
        next_token: str | None,
    ) -> RedemptionHistory:
        if to_date < from_date:
            raise InvalidField("to_date", "to_date must not be before from_date")
        if (to_date - from_date).days > MAX_DATE_RANGE_DAYS:
            raise InvalidField("to_date", f"The date range may not exceed {MAX_DATE_RANGE_DAYS} days")
        account = find_account(self.store, self.hash_card, caller, user_id, "RANAC", field="user_id")
        low = f"{HISTORY_PREFIX}{from_date.isoformat()}"
        high = f"{HISTORY_PREFIX}{to_date.isoformat()}T99"
        start = decode_token(next_token, account.accountId, low, high) if next_token else None
        own = caller.clientId if caller.role is ClientRole.MERCHANT else None  # a merchant sees its own only
        items, last = self.store.history_page(account.accountId, low, high, limit, start, own)
        return RedemptionHistory(
            redemptions=[history_entry(item) for item in items],
            nextToken=encode_token(last) if last else None,
        )


def history_entry(item: Item) -> HistoryEntry:
    common = {
        "redemptionId": int(item["redemptionId"]),
        "redemptionType": item["redemptionType"],
        "createdAt": item["createdAt"],
        "cashEquivalent": item.get("cashEquivalent"),
        "currencyCode": item.get("currencyCode"),
        "description": item.get("description"),
        "clientId": item.get("clientId"),
    }
    if item["type"] == "CREDIT":
        return HistoryEntry(
            entryType="CREDIT",
            id=item["creditId"],
            pointsCredited=item["pointsCredited"],
            totalPointsCredited=item["totalPointsCredited"],
            **common,
        )
    return HistoryEntry(
        entryType="REDEMPTION",
        id=item["requestId"],
        pointsRedeemed=item["pointsRedeemed"],
        totalPointsCredited=item["creditedPoints"],
        redemptionMatrixItemId=item.get("redemptionMatrixItemId"),
        redemptionItemId=item.get("redemptionItemId"),
        externalId=item.get("externalId"),
        **common,
    )


def encode_token(last_key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode()


def decode_token(token: str, account_id: str, low: str, high: str) -> dict[str, Any]:
    """The LastEvaluatedKey a previous page gave, only if it belongs to this account and range."""
    invalid = InvalidField("next_token", "next_token is not a token this listing returned", reason_code="INVALID_TOKEN")
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(key, dict) or set(key) != TOKEN_KEYS:
        raise invalid
    values = {}
    for name, attr in key.items():
        if not isinstance(attr, dict) or list(attr) != ["S"] or not isinstance(attr["S"], str):
            raise invalid
        values[name] = attr["S"]
    if values["gsi1pk"] != history_partition(account_id) or not low <= values["gsi1sk"] <= high:
        raise invalid
    if not values["pk"].startswith(("REDEMPTION#", "CREDIT#")):
        raise invalid
    return key
