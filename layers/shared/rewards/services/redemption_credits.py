"""POST /redemptions/{id}/credits: give back all or part of a redemption line's points, never more
than the line still allows, with the cash share pro rata."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from rewards.adapters.dynamo import Item, TransactionRefused
from rewards.adapters.ledger import LedgerMovement, OutboxEvent, iso
from rewards.adapters.redemptions import HISTORY_PREFIX, RedemptionStore, credit_key, history_partition
from rewards.domain import Caller, ClientRole
from rewards.errors import NotFound
from rewards.ids import CommitIds, new_uuid
from rewards.models.config import Program
from rewards.models.dr import CreditRequest, CreditResponse
from rewards.money import CENT, plain
from rewards.rules.redemption_rules import credit_points
from rewards.services.redemption_pricing import balance_cash
from rewards.services.redemption_replay import (
    credit_idempotency_key,
    payload_hash,
    replay_credit,
    replayed_or_retry,
)
from rewards.services.use_case import Pending, UseCase

EVENT_CREDITED = "dr.redemption.credited"


def redemption_not_found() -> NotFound:
    return NotFound("No redemption with this id.", reason_code="REDEMPTION_NOT_FOUND")


def credit_cash(line: Item, points: Decimal) -> Decimal:
    """The cash share of the credited points, pro rata of the line (to the cent, never more)."""
    redeemed = Decimal(line["pointsRedeemed"])
    share = Decimal(line.get("cashEquivalent", 0)) * points / redeemed
    return share.quantize(CENT, rounding=ROUND_FLOOR)


class RedemptionCredits(UseCase[RedemptionStore]):
    def credit(
        self, caller: Caller, redemption_id: int, request: CreditRequest, idempotency_key: str | None = None
    ) -> CreditResponse:
        fingerprint = payload_hash({"redemptionId": redemption_id, "request": request.model_dump(mode="json")})
        key = credit_idempotency_key(caller, idempotency_key)
        if key and (replayed := replay_credit(self.store, key, fingerprint)):
            return replayed
        ids = CommitIds(new_uuid())

        def build() -> Pending[CreditResponse]:
            line = self._creditable_line(caller, redemption_id)
            program = self.config.program(line["programId"])
            pool = self.store.pool(line["poolId"])
            if program is None or pool is None:
                raise redemption_not_found()
            points = credit_points(
                request.pointsCredited,
                Decimal(line["pointsRedeemed"]),
                Decimal(line["creditedPoints"]),
                program.wholePointsOnly,
            )
            return self._credit_ops(caller, line, program, pool.balance, points, request, key, fingerprint, ids)

        def committed(refused: TransactionRefused | None) -> CreditResponse | None:
            if refused is not None and "record" not in refused.roles:
                return None
            record = self.store.credit_record(ids.record)
            if record is None or record.get("commitToken") != ids.token:
                return None
            return CreditResponse.model_validate_json(record["response"])

        def refused(error: TransactionRefused) -> CreditResponse | None:
            nonlocal ids
            if "idempotency" in error.roles and key:
                return replayed_or_retry(replay_credit(self.store, key, fingerprint))
            if "record" in error.roles:
                ids = CommitIds(new_uuid())
            return None  # another credit or a redemption landed first: read the line and the pool again

        return self.commit_once(build, committed, refused)

    def _creditable_line(self, caller: Caller, redemption_id: int) -> Item:
        """The line, if the caller's programs reach it; a merchant only reaches its own redemptions."""
        line = self.store.redemption(redemption_id)
        if (
            line is None
            or not caller.may_access(line["programId"])
            or (caller.role is ClientRole.MERCHANT and line["clientId"] != caller.clientId)
        ):
            raise redemption_not_found()
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
        ids: CommitIds,
    ) -> Pending[CreditResponse]:
        now = self.clock()
        credit_id = ids.record
        redemption_id = int(line["redemptionId"])
        redeemed = Decimal(line["pointsRedeemed"])
        credited = Decimal(line["creditedPoints"]) + points
        new_balance = balance + points
        cash = credit_cash(line, points)
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
            entry_id=ids.entry,
        )
        pk, sk = credit_key(credit_id)
        ops = [
            self.store.credit_line_op(redemption_id, points, Decimal(line["creditedPoints"])),
            *self.store.movement_ops(movement, now, balance),
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
                    "commitToken": ids.token,
                    "response": response.model_dump_json(),
                    "createdAt": iso(now),
                    "gsi1pk": history_partition(line["accountId"]),
                    "gsi1sk": f"{HISTORY_PREFIX}{iso(now)}#CREDIT#{credit_id}",
                }
            ),
            self.store.event_op(
                OutboxEvent(
                    event_id=ids.event,
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
        return Pending(ops, response)
