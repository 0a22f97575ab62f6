"""Authorization use cases: process (API or queue), queue, list, reprocess."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from rewards.adapters.dynamo import Item, Op, TransactionRefused
from rewards.adapters.ledger import (
    LedgerMovement,
    LedgerStore,
    OutboxEvent,
    authorization_key,
    iso,
    pool_from_item,
)
from rewards.domain import Account, Caller, RedemptionFrequency
from rewards.errors import BusinessRefusal, Conflict, InvalidField, NotFound, Unavailable
from rewards.ids import CommitIds, new_authorization_id
from rewards.models.config import Program
from rewards.models.messages import QueuedAuthorization
from rewards.models.pwr import Authorization, AuthorizationFields, AuthorizationPostResponse, AuthorizationRequest
from rewards.money import plain
from rewards.observability import logger
from rewards.rules.conversion import Purchase
from rewards.rules.pipeline import Decision, decide
from rewards.rules.plausibility import check_transaction_time
from rewards.rules.reasons import FILTER_CATEGORIES, ReasonCode
from rewards.services.accounts import AccountContext, find_account, load_context, unknown_account
from rewards.services.use_case import Pending, UseCase

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
    after: AccountContext | None = None  # the account and pool as this commit left them, when known

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
        """Decide and commit in one conditional transaction, exactly once: a lost race decides again
        from the pool as it is now, a duplicate replays the first result, a lost answer is read back."""
        check_transaction_time(fields.transactionDateAndTime, self.clock())
        business_key = origin.business_key(external_id)
        ids = CommitIds(new_authorization_id())
        current = context

        def build() -> Pending[Processed]:
            account, pool, program = current.account, current.pool, current.program
            decision = decide(purchase_of(fields, account), account, program, pool.balance)
            record = authorization_record(ids.record, external_id, fields, decision)
            after = AccountContext(
                account_after(account, decision), replace(pool, balance=pool.balance - decision.pointsRedeemed), program
            )
            ops = self._commit_ops(record, fields, decision, current, origin, business_key, ids)
            return Pending(ops, Processed(record, program.programId, program.authRewardsServiceType, after=after))

        def committed(refused: TransactionRefused | None) -> Processed | None:
            if refused is not None and "record" not in refused.roles:
                return None  # the record is not there: nothing of this request committed
            item = self.store.authorization_item(ids.record)
            return self._processed(item) if item and item.get("commitToken") == ids.token else None

        def refused(error: TransactionRefused) -> Processed | None:
            nonlocal current, ids
            if "unique" in error.roles:
                return self.replay(business_key)
            if "record" in error.roles:  # another authorization drew the same random id
                ids = CommitIds(new_authorization_id())
            if "account" in error.roles:
                current = load_context(self.store, self.config, self._reload(current.account.accountId))
            elif "balance" in error.roles:
                current = with_pool(current, error, self.store)
            return None

        return self.commit_once(build, committed, refused)

    def _processed(self, item: Item) -> Processed:
        authorization = Authorization.model_validate(item["record"])
        program = self.config.program(item["programId"])
        service_type = program.authRewardsServiceType if program else "PWR"
        return Processed(authorization, item["programId"], service_type)

    def _reload(self, account_id: str) -> Account:
        account = self.store.account(account_id)
        if account is None:
            raise unknown_account()
        return account

    def _commit_ops(
        self,
        record: Authorization,
        fields: AuthorizationFields,
        decision: Decision,
        context: AccountContext,
        origin: Origin,
        business_key: str,
        ids: CommitIds,
    ) -> list[Op]:
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
                    "commitToken": ids.token,
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
                entry_id=ids.entry,
            )
            ops.extend(self.store.movement_ops(movement, now, pool.balance))
            if decision.turnPwrOff:  # SNGL: pinned, so it turns itself OFF exactly once
                ops.append(self.store.preference_op(account, turn_off=True))
            # Other frequencies are not pinned (one write unit less): a concurrent preference
            # change is then ordered after this authorization, which read the preferences first.
        event = self._event(record, fields, decision, context, origin, now, ids.event)
        ops.append(self.store.event_op(event, now))
        return ops

    def _event(
        self,
        record: Authorization,
        fields: AuthorizationFields,
        decision: Decision,
        context: AccountContext,
        origin: Origin,
        now: datetime,
        event_id: str,
    ) -> OutboxEvent:
        account, pool, program = context.account, context.pool, context.program
        return OutboxEvent(
            event_id=event_id,
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
        processed = self._processed(item)
        first: dict[str, Any] = {k: unique[k] for k in ("responseReasonId", "responseReasonDesc") if k in unique}
        authorization = processed.authorization.model_copy(update=first)
        return replace(processed, authorization=authorization, replayed=True)

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
        """Redeem an earlier eligible authorization now, at most once, whatever the OFF preference says.

        The same request sent again (same client, account and processedBy) answers the reprocess it
        made; any other request for an authorization already reprocessed is refused (409)."""
        ids = CommitIds(new_authorization_id())

        def build() -> Pending[Authorization]:
            # The caller's programs first: a foreign client learns nothing about ids or accounts.
            account = find_account(self.store, self.hash_card, caller, account_id, "RANAC", field="accountId")
            item = self.store.authorization_item(auth_id)
            if item is None or item["accountId"] != account_id:
                raise NotFound(
                    "No authorization with this id for this account.",
                    reason_code="AUTHORIZATION_NOT_FOUND",
                    details="id",
                )
            current = Authorization.model_validate(item["record"])
            if current.reprocessId:
                raise_unless_same_reprocess(item, current, caller, processed_by)
            context = load_context(self.store, self.config, account)
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
            return self._reprocess_ops(current, fields, decision, context, caller, processed_by, ids)

        def committed(refused: TransactionRefused | None) -> Authorization | None:
            if refused is not None and "record" not in refused.roles:
                return None
            item = self.store.authorization_item(auth_id)
            current = Authorization.model_validate(item["record"]) if item else None
            return current if current is not None and current.reprocessId == ids.record else None

        def refused(error: TransactionRefused) -> Authorization | None:
            return None  # reprocessed meanwhile, or the balance moved: read and decide again

        try:
            return self.commit_once(build, committed, refused)
        except AlreadyReprocessed as done:
            return done.authorization

    @staticmethod
    def _check_reprocessable(current: Authorization, program: Program) -> None:
        if current.responseReasonId not in program.reprocessableReasonCodes:
            raise BusinessRefusal(
                f"responseReasonId {current.responseReasonId} cannot be reprocessed in this program.",
                reason_code="NOT_REPROCESSABLE",
            )

    def _reprocess_ops(
        self,
        current: Authorization,
        fields: AuthorizationFields,
        decision: Decision,
        context: AccountContext,
        caller: Caller,
        processed_by: str,
        ids: CommitIds,
    ) -> Pending[Authorization]:
        now = self.clock()
        updated = current.model_copy(
            update={
                **_outcome(decision),
                "reprocessId": ids.record,
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
            entry_id=ids.entry,
        )
        origin = Origin("CLIENT", caller.clientId)
        ops = [
            self.store.reprocess_op(
                current.id, updated.model_dump(exclude_none=True), current.responseReasonId, caller.clientId
            ),
            *self.store.movement_ops(movement, now, pool.balance),
            self.store.event_op(self._event(updated, fields, decision, context, origin, now, ids.event), now),
        ]
        return Pending(ops, updated)


class AlreadyReprocessed(Exception):
    """The same reprocess request was made before: its answer is the authorization it reprocessed."""

    def __init__(self, authorization: Authorization) -> None:
        super().__init__(authorization.id)
        self.authorization = authorization


def raise_unless_same_reprocess(item: Item, current: Authorization, caller: Caller, processed_by: str) -> None:
    """An authorization already reprocessed: the same request again gets its answer, any other a 409."""
    if item.get("reprocessClientId") == caller.clientId and current.reprocessedBy == processed_by:
        raise AlreadyReprocessed(current)
    raise Conflict("This authorization was already reprocessed.", reason_code="ALREADY_REPROCESSED")


def account_after(account: Account, decision: Decision) -> Account:
    """The account as the commit leaves it (SNGL turns itself OFF and bumps the version)."""
    if not decision.turnPwrOff:
        return account
    preferences = replace(account.preferences, redemptionFrequency=RedemptionFrequency.OFF)
    return replace(account, preferences=preferences, version=account.version + 1)


def with_pool(context: AccountContext, refused: TransactionRefused, store: LedgerStore) -> AccountContext:
    """The context with the pool as the refusal returned it (or read again)."""
    item = refused.current.get("balance")
    pool = pool_from_item(item) if item else store.pool(context.pool.poolId)
    if pool is None:
        raise unknown_account()
    return replace(context, pool=pool)


def parse_categories(raw: str | None) -> list[str] | None:
    if raw is None or raw == "":
        return None
    return [part.strip().upper() for part in raw.split(",") if part.strip()]
