"""Authorization use cases: process (API or queue), queue, list, reprocess."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from rewards.adapters.dynamo import TransactionRefused, TransientConflict
from rewards.adapters.ledger import LedgerMovement, LedgerStore, OutboxEvent, authorization_key, iso
from rewards.domain import Account, Caller, RedemptionFrequency
from rewards.errors import BusinessRefusal, Conflict, InvalidField, NotFound, Unavailable
from rewards.ids import new_authorization_id
from rewards.models.config import Program
from rewards.models.messages import QueuedAuthorization
from rewards.models.pwr import Authorization, AuthorizationFields, AuthorizationPostResponse, AuthorizationRequest
from rewards.money import plain
from rewards.observability import logger
from rewards.rules.conversion import Purchase
from rewards.rules.pipeline import Decision, decide
from rewards.rules.reasons import FILTER_CATEGORIES, ReasonCode
from rewards.services.accounts import AccountContext, find_account, load_context, unknown_account
from rewards.services.use_case import MAX_ATTEMPTS, UseCase

MAX_DATE_RANGE_DAYS = 366
MAX_LISTED = 1000
EVENT_AUTHORIZATION_PROCESSED = "pwr.authorization.processed"
QUEUED_MESSAGE = "Authorization accepted and queued for processing"


@dataclass(frozen=True)
class Origin:
    kind: Literal["CLIENT", "NETWORK"]
    client_id: str | None

    def business_key(self, external_id: str) -> str:
        if self.kind == "NETWORK":
            return f"NET#{external_id}"
        return f"EXT#{self.client_id}#{external_id}"


@dataclass(frozen=True)
class Processed:
    authorization: Authorization
    program_id: str
    service_type: str
    replayed: bool = False

    def post_response(self) -> AuthorizationPostResponse:
        return AuthorizationPostResponse(
            id=self.authorization.id,
            programId=self.program_id,
            authRewardsServiceType=self.service_type,
            responseReasonId=self.authorization.responseReasonId,
            responseReasonDesc=self.authorization.responseReasonDesc,
        )


def purchase_of(fields: AuthorizationFields, account: Account) -> Purchase:
    return Purchase(
        amount=fields.billing_amount,
        currency=fields.cardholderBillingCurrencyCode,
        approved=fields.approved,
        mcc=fields.merchantCategoryCode,
        cardAcceptorId=fields.cardAcceptorIdCode,
        merchantCountry=fields.merchantCountry or fields.pointOfSaleCountryCode,
        issuerCountry=fields.issuerCountryCode,
        bankProductCode=account.bankProductCode,
    )


def authorization_record(
    auth_id: str, external_id: str, fields: AuthorizationFields, decision: Decision
) -> Authorization:
    moment = fields.transactionDateAndTime
    return Authorization(
        id=auth_id,
        externalId=external_id,
        de004TransactionAmount=fields.transactionAmount,
        de005IssuerCurrencySettlementAmount=fields.issuerSettlementAmount,
        de006CardholderBillingAmount=fields.cardholderBillingAmount,
        de012TransactionTime=moment.strftime("%H%M%S"),
        de013TransactionDate=moment.strftime("%m%d"),
        de018MerchantCode=fields.merchantCategoryCode,
        de032AcquiringInstitutionIdCode=fields.acquiringInstitutionIdCode,
        de039ResponseCode=fields.responseCode or "00",
        de042CardAcceptorIdCode=fields.cardAcceptorIdCode,
        de043CardAcceptorNameLocation=fields.cardAcceptorNameAndLocation,
        de048TCC=fields.transactionCategoryCode,
        de049TransactionCurrencyCode=fields.transactionCurrencyCode,
        de050SettlementCurrencyCode=fields.reconciliationCurrencyCode,
        de051CardholderBillingCurrencyCode=fields.cardholderBillingCurrencyCode,
        merchantCountry=fields.merchantCountry or fields.pointOfSaleCountryCode,
        **_outcome(decision),
    )


CARD_NUMBER_FIELDS = frozenset({"primaryAccountNumber", "accountNumber"})


def stored_fields(fields: AuthorizationFields, account_id: str) -> dict[str, Any]:
    """The ISO 8583 data kept with a processed authorization (reprocess re-reads it as
    AuthorizationFields): keyed by RANAC, without card numbers or request-only fields."""
    kept = set(AuthorizationFields.model_fields) - CARD_NUMBER_FIELDS
    data = fields.model_dump(mode="json", exclude_none=True, include=kept)
    data.update(accountId=account_id, accountIdType="RANAC")
    return data


def _outcome(decision: Decision) -> dict[str, Any]:
    conversion = decision.conversion
    return {
        "responseReasonId": decision.reason.value,
        "responseReasonDesc": decision.reason.description,
        "pointsRedeemed": plain(decision.pointsRedeemed),
        "cashBackAmount": decision.cashBackAmount,
        "totalPointsRequired": decision.totalPointsRequired,
        "pointConversionFactor": conversion.points_per_unit if conversion else None,
        "pointConversionCurrency": conversion.currency if conversion else None,
        "partiallyRedeemed": decision.partiallyRedeemed,
    }


class AuthorizationService(UseCase[LedgerStore]):
    # -- processing --------------------------------------------------------------------
    def resolve(self, caller: Caller | None, fields: AuthorizationFields) -> AccountContext:
        account = find_account(
            self.store, self.hash_card, caller, fields.accountId, fields.accountIdType, field="accountId"
        )
        return load_context(self.store, self.config, account)

    def process_request(self, caller: Caller, request: AuthorizationRequest) -> Processed:
        """POST /authorizations with queueTransaction=N: decide and commit now."""
        context = self.resolve(caller, request)
        return self.process(request, request.externalId, Origin("CLIENT", caller.clientId), context)

    def process_message(self, message: QueuedAuthorization, context: AccountContext | None = None) -> Processed:
        """A queued authorization (network copy, or a client's queueTransaction=Y)."""
        fields = message.authorization
        try:
            if context is None:
                context = self.resolve(None, fields)
            return self.process(fields, message.externalId, Origin(message.origin, message.clientId), context)
        except Exception as error:  # the record returns to the queue, then to the dead-letter queue
            logger.warning(
                "queued authorization not processed",
                extra={
                    "external_id": message.externalId,
                    "origin": message.origin,
                    "client_id": message.clientId,
                    "reason": type(error).__name__,
                    "reason_detail": str(error)[:300],
                },
            )
            raise

    def process(
        self, fields: AuthorizationFields, external_id: str, origin: Origin, context: AccountContext
    ) -> Processed:
        """Decide and commit in one conditional transaction; retry on a lost race, replay duplicates."""
        business_key = origin.business_key(external_id)
        for attempt in range(MAX_ATTEMPTS):
            account, pool, program = context.account, context.pool, context.program
            decision = decide(purchase_of(fields, account), account, program, pool.balance)
            record = authorization_record(new_authorization_id(), external_id, fields, decision)
            try:
                self._commit(record, fields, decision, context, origin, business_key)
            except TransactionRefused as refused:
                if "unique" in refused.roles:
                    return self.replay(business_key)
                if refused.roles & {"balance", "account"}:
                    context = load_context(self.store, self.config, self._reload(account.accountId))
                continue  # "record": the random id was taken; draw another
            except TransientConflict:
                self.back_off(attempt)
                with contextlib.suppress(TransientConflict):  # the conditions guard a stale context
                    context = load_context(self.store, self.config, self._reload(account.accountId))
                continue
            return Processed(record, program.programId, program.authRewardsServiceType)
        raise Unavailable("The authorization could not be committed; retry the request.")

    def _reload(self, account_id: str) -> Account:
        account = self.store.account(account_id)
        if account is None:
            raise unknown_account()
        return account

    def _commit(
        self,
        record: Authorization,
        fields: AuthorizationFields,
        decision: Decision,
        context: AccountContext,
        origin: Origin,
        business_key: str,
    ) -> None:
        now = self.clock()
        account, pool, program = context.account, context.pool, context.program
        ops = [
            self.store.unique_op(
                business_key,
                record.id,
                now,
                responseReasonId=record.responseReasonId,
                responseReasonDesc=record.responseReasonDesc,
            )
        ]
        pk, sk = authorization_key(record.id)
        ops.append(
            self.store.record_op(
                {
                    "pk": pk,
                    "sk": sk,
                    "type": "AUTHORIZATION",
                    "gsi1pk": f"ACCOUNT#{account.accountId}",
                    "gsi1sk": f"AUTH#{fields.transactionDateAndTime.strftime('%Y-%m-%dT%H:%M:%S')}#{record.id}",
                    "accountId": account.accountId,
                    "poolId": account.poolId,
                    "programId": program.programId,
                    "clientId": origin.client_id,
                    "origin": origin.kind,
                    "detail": decision.detail.value,
                    "processedAt": iso(now),
                    "record": record.model_dump(exclude_none=True),
                    "fields": stored_fields(fields, account.accountId),
                }
            )
        )
        if decision.redeemed:
            movement = LedgerMovement(
                pool_id=pool.poolId,
                points=decision.pointsRedeemed,
                cash=decision.cashBackAmount,
                currency=fields.cardholderBillingCurrencyCode,
                account_id=account.accountId,
                source="PWR_AUTHORIZATION",
                reference=record.id,
            )
            ops.extend(self.store.movement_ops(movement, now))
            if decision.turnPwrOff:  # SNGL: pinned, so it turns itself OFF exactly once
                ops.append(self.store.preference_op(account, turn_off=True))
            # Other frequencies are not pinned (one write unit less): a concurrent preference
            # change is then ordered after this authorization, which read the preferences first.
        ops.append(self.store.event_op(self._event(record, fields, decision, context, origin, now), now))
        self.store.transact(ops)

    def _event(
        self,
        record: Authorization,
        fields: AuthorizationFields,
        decision: Decision,
        context: AccountContext,
        origin: Origin,
        now: datetime,
    ) -> OutboxEvent:
        account, pool, program = context.account, context.pool, context.program
        return OutboxEvent(
            event_type=EVENT_AUTHORIZATION_PROCESSED,
            program_id=program.programId,
            client_id=origin.client_id,
            payload={
                "authorizationId": record.id,
                "externalId": record.externalId,
                "origin": origin.kind,
                "accountId": account.accountId,
                "lastFour": account.lastFour,
                "programId": program.programId,
                "authRewardsServiceType": program.authRewardsServiceType,
                "responseReasonId": record.responseReasonId,
                "responseReasonDesc": record.responseReasonDesc,
                "detail": decision.detail.value,
                "pwrOn": account.preferences.redemptionFrequency is not RedemptionFrequency.OFF,
                "pointsRedeemed": record.pointsRedeemed,
                "cashBackAmount": plain(record.cashBackAmount),
                "totalPointsRequired": plain(decision.totalPointsRequired)
                if decision.totalPointsRequired is not None
                else None,
                "partiallyRedeemed": record.partiallyRedeemed,
                "pointBalance": plain(pool.balance - decision.pointsRedeemed),
                "amount": fields.cardholderBillingAmount,
                "currency": fields.cardholderBillingCurrencyCode,
                "merchant": fields.cardAcceptorNameAndLocation,
                "occurredAt": iso(now),
            },
        )

    def replay(self, business_key: str) -> Processed:
        """The first result for a business key that was already processed.

        The answer is the first one, even if the authorization was reprocessed since: a retried
        request must not see a different outcome (its record shows the current state).
        """
        unique = self.store.unique_item(business_key)
        item = self.store.authorization_item(unique["reference"]) if unique else None
        if unique is None or item is None:
            raise Unavailable("The original authorization is not readable yet; retry the request.")
        authorization = Authorization.model_validate(item["record"])
        first: dict[str, Any] = {k: unique[k] for k in ("responseReasonId", "responseReasonDesc") if k in unique}
        program = self.config.program(item["programId"])
        service_type = program.authRewardsServiceType if program else "PWR"
        return Processed(authorization.model_copy(update=first), item["programId"], service_type, replayed=True)

    # -- queueing ----------------------------------------------------------------------
    def queue_message(self, caller: Caller, request: AuthorizationRequest) -> QueuedAuthorization:
        """queueTransaction=Y: check the account now; queue it keyed by RANAC, with no card number."""
        context = self.resolve(caller, request)
        fields = request.model_dump(exclude={"externalId", "queueTransaction", "primaryAccountNumber", "accountNumber"})
        fields.update(accountId=context.account.accountId, accountIdType="RANAC")
        return QueuedAuthorization(
            origin="CLIENT",
            clientId=caller.clientId,
            externalId=request.externalId,
            authorization=AuthorizationFields.model_validate(fields),
        )

    # -- listing -----------------------------------------------------------------------
    def list(
        self,
        caller: Caller,
        user_id: str,
        user_id_type: str,
        from_date: date,
        to_date: date,
        include_reprocessed: bool,
        categories: list[str] | None,
        external_id: str | None,
    ) -> list[Authorization]:
        if to_date < from_date:
            raise InvalidField("to_date", "to_date must not be before from_date")
        if (to_date - from_date).days > MAX_DATE_RANGE_DAYS:
            raise InvalidField("to_date", f"The date range may not exceed {MAX_DATE_RANGE_DAYS} days")
        for category in categories or []:
            if category not in FILTER_CATEGORIES:
                raise InvalidField("pwr_filter_categories", "pwr_filter_categories accepts R, E and I, comma-separated")
        account = find_account(self.store, self.hash_card, caller, user_id, user_id_type, field="user_id")
        items = self.store.authorization_items_for_account(
            account.accountId, from_date.isoformat(), f"{to_date.isoformat()}T99", MAX_LISTED
        )
        wanted = set(categories or FILTER_CATEGORIES)
        results = []
        for item in items:
            authorization = Authorization.model_validate(item["record"])
            if not include_reprocessed and authorization.reprocessId:
                continue
            if external_id is not None and authorization.externalId != external_id:
                continue
            if ReasonCode(authorization.responseReasonId).category not in wanted:
                continue
            results.append(authorization)
        return results

    # -- post-purchase -----------------------------------------------------------------
    def reprocess(self, caller: Caller, auth_id: str, account_id: str, processed_by: str) -> Authorization:
        """Redeem an earlier eligible authorization now, at most once, whatever the OFF preference says."""
        reprocess_id = new_authorization_id()
        for attempt in range(MAX_ATTEMPTS):
            # The caller's programs first: a foreign client learns nothing about ids or accounts.
            account = find_account(self.store, self.hash_card, caller, account_id, "RANAC", field="accountId")
            item = self.store.authorization_item(auth_id)
            if item is None or item["accountId"] != account_id:
                raise NotFound(
                    "No authorization with this id for this account.",
                    reason_code="AUTHORIZATION_NOT_FOUND",
                    details="id",
                )
            context = load_context(self.store, self.config, account)
            current = Authorization.model_validate(item["record"])
            if current.reprocessId == reprocess_id:  # an earlier attempt committed, then timed out
                return current
            self._check_reprocessable(current, context.program)
            fields = AuthorizationFields.model_validate(item["fields"])
            decision = decide(
                purchase_of(fields, account), account, context.program, context.pool.balance, post_purchase=True
            )
            if not decision.redeemed:
                raise BusinessRefusal(
                    f"Not redeemed: {decision.reason.description}",
                    reason_code=f"REPROCESS_{decision.detail.value}",
                    details=decision.reason.value,
                )
            try:
                return self._commit_reprocess(current, fields, decision, context, caller, processed_by, reprocess_id)
            except TransactionRefused as refused:
                if "record" in refused.roles:
                    raise Conflict(
                        "This authorization was already reprocessed.", reason_code="ALREADY_REPROCESSED"
                    ) from None
            except TransientConflict:
                self.back_off(attempt)
        raise Unavailable("The reprocess could not be committed; retry the request.")

    @staticmethod
    def _check_reprocessable(current: Authorization, program: Program) -> None:
        if current.reprocessId:
            raise Conflict("This authorization was already reprocessed.", reason_code="ALREADY_REPROCESSED")
        if current.responseReasonId not in program.reprocessableReasonCodes:
            raise BusinessRefusal(
                f"responseReasonId {current.responseReasonId} cannot be reprocessed in this program.",
                reason_code="NOT_REPROCESSABLE",
            )

    def _commit_reprocess(
        self,
        current: Authorization,
        fields: AuthorizationFields,
        decision: Decision,
        context: AccountContext,
        caller: Caller,
        processed_by: str,
        reprocess_id: str,
    ) -> Authorization:
        now = self.clock()
        updated = current.model_copy(
            update={
                **_outcome(decision),
                "reprocessId": reprocess_id,
                "reprocessedBy": processed_by,
                "reprocessedDateTime": iso(now),
            }
        )
        account, pool = context.account, context.pool
        movement = LedgerMovement(
            pool_id=pool.poolId,
            points=decision.pointsRedeemed,
            cash=decision.cashBackAmount,
            currency=fields.cardholderBillingCurrencyCode,
            account_id=account.accountId,
            source="PWR_REPROCESS",
            reference=current.id,
        )
        ops = [
            self.store.reprocess_op(current.id, updated.model_dump(exclude_none=True), current.responseReasonId),
            *self.store.movement_ops(movement, now),
            self.store.event_op(
                self._event(updated, fields, decision, context, Origin("CLIENT", caller.clientId), now), now
            ),
        ]
        self.store.transact(ops)
        return updated


def parse_categories(raw: str | None) -> list[str] | None:
    if raw is None or raw == "":
        return None
    return [part.strip().upper() for part in raw.split(",") if part.strip()]
