"""POST /redemptions with STATEMENT_CREDIT (PWR integration model 2): the client records its own
redemption on a processed authorization, once; no points move here."""

from __future__ import annotations

from rewards.domain import Caller
from rewards.errors import Conflict, InvalidField, NotFound
from rewards.events import StatementCreditRecorded, StatementCreditRecordedData
from rewards.ids import CommitIds, new_authorization_id
from rewards.ledger import Duplicate, RecordChanged
from rewards.models.dr import RedemptionResponse, StatementCredit
from rewards.money import plain
from rewards.records import NewStatementCredit
from rewards.rules.reasons import ReasonCode
from rewards.rules.redemption_rules import check_whole_points
from rewards.services.accounts import find_account, load_context
from rewards.services.redemption_replay import business_keys, first_answer, payload_hash, replay
from rewards.services.use_case import UseCase
from rewards.timestamps import iso


def already_credited() -> Conflict:
    return Conflict("A statement credit is already recorded for this authorization.", reason_code="ALREADY_CREDITED")


def reason_of(request: StatementCredit) -> ReasonCode:
    try:
        return ReasonCode(request.reasonCode)
    except ValueError:
        raise InvalidField(
            "reasonCode", f"reasonCode must be one of {', '.join(c.value for c in ReasonCode)}"
        ) from None


class StatementCredits(UseCase):
    def statement_credit(self, caller: Caller, request: StatementCredit) -> RedemptionResponse:
        """Record the client's own redemption on a processed authorization; no points move here."""
        fingerprint = payload_hash(request)
        keys = business_keys(caller, request.externalId, None)
        if replayed := replay(self.ledger, keys, fingerprint, RedemptionResponse):
            return replayed
        account = find_account(self.ledger, self.hash_card, caller, request.userId, request.userIdType, field="userId")
        program = load_context(self.ledger, self.config, account).program
        reason = reason_of(request)
        check_whole_points(request.pointsRedeemed, program.wholePointsOnly, "pointsRedeemed")
        authorization = self.ledger.authorization(request.paymentAuthId)
        if authorization is None or authorization.account_id != account.accountId:
            raise NotFound("No authorization with this id for this account.", reason_code="AUTHORIZATION_NOT_FOUND")
        if authorization.statement_credit is not None:
            raise already_credited()
        ids = CommitIds(new_authorization_id())
        now = iso(self.clock())
        credit = {
            "id": ids.record,
            "externalId": request.externalId,
            "clientId": caller.clientId,
            "pointsRedeemed": request.pointsRedeemed,
            "cashBackAmount": request.cashBackAmount,
            "reasonCode": reason.value,
            "description": request.description,
            "recordedAt": now,
        }
        event = StatementCreditRecorded(
            eventId=ids.event,
            occurredAt=now,
            programId=program.programId,
            clientId=caller.clientId,
            data=StatementCreditRecordedData(
                id=ids.record,
                externalId=request.externalId,
                clientId=caller.clientId,
                paymentAuthId=request.paymentAuthId,
                accountId=account.accountId,
                pointsRedeemed=plain(request.pointsRedeemed),
                cashBackAmount=plain(request.cashBackAmount),
                reasonCode=reason.value,
                description=request.description,
                recordedAt=now,
            ),
        )
        new = NewStatementCredit(
            key=keys["unique"],
            credit_id=ids.record,
            authorization_id=request.paymentAuthId,
            account_id=account.accountId,
            reprocessed=authorization.reprocessed is not None,
            client_id=caller.clientId,
            reason=reason,
            points=request.pointsRedeemed,
            cash=request.cashBackAmount,
            credit=credit,
            fingerprint=fingerprint,
            response=RedemptionResponse(id=ids.record),
            event=event,
            commit_token=ids.token,
        )
        try:
            stored = self.ledger.record_statement_credit(new)
        except Duplicate as duplicate:
            return first_answer(duplicate.existing, "unique", fingerprint, RedemptionResponse)  # type: ignore[arg-type]
        except RecordChanged:
            raise already_credited() from None
        return RedemptionResponse.model_validate_json(stored.response_json)
