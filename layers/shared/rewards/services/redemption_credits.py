"""POST /redemptions/{id}/credits: give back all or part of a redemption line's points, never more
than the line still allows, with the cash share pro rata."""

from __future__ import annotations

from decimal import Decimal

from rewards.domain import Caller, ClientRole, PointPool
from rewards.errors import NotFound, not_committed
from rewards.events import RedemptionCredited, RedemptionCreditedData
from rewards.ids import CommitIds, new_uuid
from rewards.ledger import BalanceMoved, Duplicate, IdTaken, RecordChanged
from rewards.models.config import Program
from rewards.models.dr import CreditRequest, CreditResponse
from rewards.money import plain, pro_rata_cash
from rewards.records import CreditEntry, Movement, NewCredit, RedemptionLine
from rewards.rules.dates import business_date
from rewards.rules.redemption_rules import credit_points
from rewards.services.redemption_pricing import balance_cash
from rewards.services.redemption_replay import credit_idempotency_key, first_answer, payload_hash, replay
from rewards.services.use_case import MAX_REBUILDS, UseCase
from rewards.timestamps import iso


def redemption_not_found() -> NotFound:
    return NotFound("No redemption with this id.", reason_code="REDEMPTION_NOT_FOUND")


class RedemptionCredits(UseCase):
    def credit(
        self, caller: Caller, redemption_id: int, request: CreditRequest, idempotency_key: str | None = None
    ) -> CreditResponse:
        fingerprint = payload_hash({"redemptionId": redemption_id, "request": request.model_dump(mode="json")})
        key = credit_idempotency_key(caller, idempotency_key)
        keys = {"idempotency": key} if key else {}
        if replayed := replay(self.ledger, keys, fingerprint, CreditResponse):
            return replayed
        ids = CommitIds(new_uuid())
        for rebuild in range(MAX_REBUILDS):
            line = self._creditable_line(caller, redemption_id)
            program = self.config.program(line.program_id)
            pool = self.ledger.pool(line.pool_id)
            if program is None or pool is None:
                raise redemption_not_found()
            points = credit_points(request.pointsCredited, line.points, line.credited, program.wholePointsOnly)
            new = self._new_credit(caller, line, program, pool, points, request, key, fingerprint, ids)
            try:
                stored = self.ledger.record_credit(new)
            except Duplicate as duplicate:
                return first_answer(duplicate.existing, "idempotency", fingerprint, CreditResponse)  # type: ignore[arg-type]
            except IdTaken:
                ids = CommitIds(new_uuid(), ids.entry, ids.event, ids.token)
            except (RecordChanged, BalanceMoved):  # another credit or a redemption landed first: read again
                pass
            else:
                return CreditResponse.model_validate_json(stored.response_json)
            self.spread(rebuild)
        raise not_committed()

    def _creditable_line(self, caller: Caller, redemption_id: int) -> RedemptionLine:
        """The line, if the caller's programs reach it; a merchant only reaches its own redemptions."""
        line = self.ledger.redemption_line(redemption_id)
        if (
            line is None
            or not caller.may_access(line.program_id)
            or (caller.role is ClientRole.MERCHANT and line.client_id != caller.clientId)
        ):
            raise redemption_not_found()
        return line

    def _new_credit(
        self,
        caller: Caller,
        line: RedemptionLine,
        program: Program,
        pool: PointPool,
        points: Decimal,
        request: CreditRequest,
        key: str | None,
        fingerprint: str,
        ids: CommitIds,
    ) -> NewCredit:
        now = self.clock()
        credited = line.credited + points
        new_balance = pool.balance + points
        cash = pro_rata_cash(line.cash, points, line.points)
        response = CreditResponse(
            id=ids.record,
            redemptionId=line.redemption_id,
            pointsCredited=points,
            totalPointsCredited=credited,
            remainingCreditablePoints=line.points - credited,
            pointBalance=new_balance,
            cashEquivalent=balance_cash(program, new_balance),
            currencyCode=program.currencyCode,
            pointsName=program.pointsName,
            programName=program.programName,
        )
        movement = Movement(
            pool_id=line.pool_id,
            points=points,
            cash=cash,
            currency=line.currency,
            account_id=line.account_id,
            source="DR_CREDIT",
            reference=str(line.redemption_id),
            kind="CREDIT",
            entry_id=ids.entry,
        )
        event = RedemptionCredited(
            eventId=ids.event,
            occurredAt=iso(now),
            programId=program.programId,
            clientId=caller.clientId,
            data=RedemptionCreditedData(
                creditId=ids.record,
                redemptionId=line.redemption_id,
                accountId=line.account_id,
                pointsCredited=plain(points),
                remainingCreditablePoints=plain(line.points - credited),
                pointBalance=plain(new_balance),
                occurredAt=iso(now),
            ),
        )
        credit = CreditEntry(
            credit_id=ids.record,
            line=line,
            points=points,
            total_credited=credited,
            cash=cash,
            description=request.description,
            client_id=caller.clientId,
            created_at=iso(now),
        )
        return NewCredit(
            credit=credit,
            key=key,
            fingerprint=fingerprint,
            response=response,
            business_date=business_date(now, program.timeZone),
            pool_seen=pool,
            movement=movement,
            event=event,
            commit_token=ids.token,
        )
