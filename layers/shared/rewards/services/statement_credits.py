"""POST /redemptions with STATEMENT_CREDIT (PWR integration model 2): the client records its own
redemption on a processed authorization, once; no points move here."""

from __future__ import annotations

from rewards.adapters.dynamo import TransactionRefused
from rewards.adapters.ledger import OutboxEvent, iso
from rewards.adapters.redemptions import RedemptionStore
from rewards.domain import Caller
from rewards.errors import Conflict, InvalidField, NotFound
from rewards.ids import CommitIds, new_authorization_id
from rewards.models.dr import RedemptionResponse, StatementCredit
from rewards.money import plain
from rewards.rules.reasons import ReasonCode
from rewards.rules.redemption_rules import check_whole_points
from rewards.services.accounts import find_account, load_context
from rewards.services.redemption_replay import (
    business_keys,
    payload_hash,
    replay_redemption,
    replayed_or_retry,
    request_record,
)
from rewards.services.use_case import Pending, UseCase, not_committed

EVENT_STATEMENT_CREDIT = "dr.statement_credit.recorded"


def already_credited() -> Conflict:
    return Conflict("A statement credit is already recorded for this authorization.", reason_code="ALREADY_CREDITED")


def reason_of(request: StatementCredit) -> ReasonCode:
    try:
        return ReasonCode(request.reasonCode)
    except ValueError:
        raise InvalidField(
            "reasonCode", f"reasonCode must be one of {', '.join(c.value for c in ReasonCode)}"
        ) from None


class StatementCredits(UseCase[RedemptionStore]):
    def statement_credit(self, caller: Caller, request: StatementCredit) -> RedemptionResponse:
        """Record the client's own redemption on a processed authorization; no points move here."""
        fingerprint = payload_hash(request)
        keys = business_keys(caller, request.externalId, None)
        if replayed := replay_redemption(self.store, keys, fingerprint):
            return replayed
        account = find_account(self.store, self.hash_card, caller, request.userId, request.userIdType, field="userId")
        program = load_context(self.store, self.config, account).program
        reason = reason_of(request)
        check_whole_points(request.pointsRedeemed, program.wholePointsOnly, "pointsRedeemed")
        authorization = self.store.authorization_item(request.paymentAuthId)
        if authorization is None or authorization["accountId"] != account.accountId:
            raise NotFound("No authorization with this id for this account.", reason_code="AUTHORIZATION_NOT_FOUND")
        if "statementCredit" in authorization:
            raise already_credited()
        now = self.clock()
        ids = CommitIds(new_authorization_id())
        credit_id = ids.record
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
                request_record(
                    credit_id,
                    caller,
                    account.accountId,
                    request.redemptionType,
                    fingerprint,
                    response,
                    now,
                    commitToken=ids.token,
                )
            ),
            self.store.event_op(
                OutboxEvent(
                    event_id=ids.event,
                    event_type=EVENT_STATEMENT_CREDIT,
                    program_id=program.programId,
                    client_id=caller.clientId,
                    payload={**credit, "paymentAuthId": request.paymentAuthId, "accountId": account.accountId},
                ),
                now,
            ),
        ]

        def committed(refused: TransactionRefused | None) -> RedemptionResponse | None:
            if refused is not None and "request" not in refused.roles:
                return None
            record = self.store.request_record(credit_id)
            if record is None or record.get("commitToken") != ids.token:
                return None
            return RedemptionResponse.model_validate_json(record["response"])

        def refused(error: TransactionRefused) -> RedemptionResponse | None:
            if "unique" in error.roles:
                return replayed_or_retry(replay_redemption(self.store, keys, fingerprint))
            if "authorization" in error.roles:
                raise already_credited()
            raise not_committed()

        return self.commit_once(lambda: Pending(ops, response), committed, refused)
