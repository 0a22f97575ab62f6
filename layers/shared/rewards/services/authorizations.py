"""Authorization use cases: process (API or queue), queue, list. Reprocess: ``reprocess.py``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from rewards.domain import Account, Caller, RedemptionFrequency
from rewards.errors import InvalidField, not_committed
from rewards.events import AuthorizationProcessed, AuthorizationProcessedData
from rewards.ids import CommitIds, authorization_id
from rewards.ledger import AccountChanged, BalanceMoved, BalanceUnknown, Duplicate, IdTaken
from rewards.models.messages import QueuedAuthorization
from rewards.models.pwr import Authorization, AuthorizationFields, AuthorizationPostResponse, AuthorizationRequest
from rewards.money import plain
from rewards.observability import logger
from rewards.records import (
    AuthorizationQuery,
    Movement,
    NewAuthorization,
    Origin,
    Outcome,
    StoredAuthorization,
)
from rewards.rules.conversion import Purchase
from rewards.rules.dates import business_date
from rewards.rules.pipeline import Decision, decide, without_balance
from rewards.rules.plausibility import check_transaction_time
from rewards.rules.reasons import FILTER_CATEGORIES
from rewards.rules.rebates import authorization_rebate
from rewards.services.accounts import AccountContext, find_account, load_context, unknown_account
from rewards.services.continuation import decode_token, encode_token
from rewards.services.rebate_states import RebateLookup, rebate_states
from rewards.services.use_case import MAX_REBUILDS, UseCase
from rewards.timestamps import iso

MAX_DATE_RANGE_DAYS = 366
MAX_LISTED = 5000  # one answer; a longer history continues with next_token (an extension)
QUEUED_MESSAGE = "Authorization accepted and queued for processing"
CARD_NUMBER_FIELDS = frozenset({"primaryAccountNumber", "accountNumber"})


@dataclass(frozen=True)
class Processed:
    stored: StoredAuthorization
    replayed: bool = False
    after: AccountContext | None = None  # the account and pool as this commit left them, when known

    @property
    def authorization(self) -> Authorization:
        """The record as this answer gives it: a replay answers the first outcome."""
        return self.stored.first_record() if self.replayed else self.stored.record()

    def post_response(self) -> AuthorizationPostResponse:
        record = self.authorization
        return AuthorizationPostResponse(
            id=record.id,
            programId=self.stored.program_id,
            authRewardsServiceType=self.stored.service_type,
            responseReasonId=record.responseReasonId,
            responseReasonDesc=record.responseReasonDesc,
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
        cardBin=account.cardBin,
    )


def kept_fields(fields: AuthorizationFields, account_id: str) -> AuthorizationFields:
    """The ISO 8583 data kept with an authorization: keyed by RANAC, without card numbers or
    request-only fields."""
    kept = set(AuthorizationFields.model_fields) - CARD_NUMBER_FIELDS
    data = fields.model_dump(mode="json", exclude_none=True, include=kept)
    data.update(accountId=account_id, accountIdType="RANAC")
    return AuthorizationFields.model_validate(data)


def account_after(account: Account, decision: Decision) -> Account:
    """The account as the commit leaves it (SNGL turns itself OFF and bumps the version)."""
    if not decision.turnPwrOff:
        return account
    preferences = replace(account.preferences, redemptionFrequency=RedemptionFrequency.OFF)
    return replace(account, preferences=preferences, version=account.version + 1)


def processed_event(
    stored: StoredAuthorization, account: Account, balance_after: Decimal, event_id: str
) -> AuthorizationProcessed:
    """What every channel is told of one processed authorization (schema v1)."""
    outcome, fields = stored.outcome, stored.fields
    return AuthorizationProcessed(
        eventId=event_id,
        occurredAt=stored.processed_at,
        programId=stored.program_id,
        clientId=stored.client_id,
        data=AuthorizationProcessedData(
            authorizationId=stored.id,
            externalId=stored.external_id,
            origin=stored.origin,
            accountId=stored.account_id,
            lastFour=account.lastFour,
            programId=stored.program_id,
            authRewardsServiceType=stored.service_type,
            responseReasonId=outcome.reason.value,
            responseReasonDesc=outcome.reason.description,
            detail=outcome.detail.value,
            pwrOn=account.preferences.redemptionFrequency is not RedemptionFrequency.OFF,
            pointsRedeemed=plain(outcome.points),
            cashBackAmount=plain(outcome.cash),
            totalPointsRequired=plain(outcome.required) if outcome.required is not None else None,
            partiallyRedeemed=outcome.partial,
            pointBalance=plain(balance_after),
            amount=fields.cardholderBillingAmount,
            currency=fields.cardholderBillingCurrencyCode,
            merchant=fields.cardAcceptorNameAndLocation,
            occurredAt=stored.processed_at,
        ),
    )


class AuthorizationService(UseCase):
    # -- processing --------------------------------------------------------------------------
    def resolve(self, caller: Caller | None, fields: AuthorizationFields) -> AccountContext:
        account = find_account(
            self.ledger, self.hash_card, caller, fields.accountId, fields.accountIdType, field="accountId"
        )
        return load_context(self.ledger, self.config, account)

    def process_request(self, caller: Caller, request: AuthorizationRequest) -> Processed:
        """POST /authorizations with queueTransaction=N: decide and commit now."""
        context = self.resolve(caller, request)
        return self.process(request, request.externalId, Origin("CLIENT", caller.clientId), context)

    def process_message(self, message: QueuedAuthorization, context: AccountContext | None = None) -> Processed:
        """A queued authorization (network copy, or a client's queueTransaction=Y). When the
        program's point bank cannot tell the balance, it is decided without redeeming."""
        fields = message.authorization
        origin = Origin(message.origin, message.clientId)
        try:
            balance_known = True
            if context is None:
                context, balance_known = self._queued_context(fields)
            return self.process(fields, message.externalId, origin, context, balance_known)
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

    def _queued_context(self, fields: AuthorizationFields) -> tuple[AccountContext, bool]:
        """The account, pool and program, and whether the pool's balance is known (False: its
        point bank did not answer, and the pool is as last mirrored)."""
        try:
            return self.resolve(None, fields), True
        except BalanceUnknown as unknown:
            account = find_account(self.ledger, self.hash_card, None, fields.accountId, fields.accountIdType)
            program = self.config.program(account.programId)
            if program is None:
                raise
            return AccountContext(account, unknown.pool, program), False

    def process(
        self,
        fields: AuthorizationFields,
        external_id: str,
        origin: Origin,
        context: AccountContext,
        balance_known: bool = True,
    ) -> Processed:
        """Decide and commit once: a lost race decides again from the pool as it is now, a duplicate
        replays the first result (the ledger recognises this request's own lost answers)."""
        check_transaction_time(fields.transactionDateAndTime, self.clock())
        business_key = origin.business_key(external_id)
        ids, probe = CommitIds(""), 0
        for rebuild in range(MAX_REBUILDS):
            new, after = self._new_authorization(
                fields, external_id, origin, context, business_key, probe, ids, balance_known
            )
            try:
                stored = self.ledger.record_authorization(new)
            except Duplicate as duplicate:
                assert isinstance(duplicate.existing, StoredAuthorization)
                return Processed(duplicate.existing, replayed=True)
            except IdTaken:
                probe += 1
            except BalanceMoved as moved:
                if moved.pool is None:
                    raise unknown_account() from None
                context = replace(context, pool=moved.pool)
            except AccountChanged:
                context = load_context(self.ledger, self.config, self._reload(context.account.accountId))
            else:
                return Processed(stored, after=after if stored is new.authorization else None)
            self.spread(rebuild)
        raise not_committed()

    def _new_authorization(
        self,
        fields: AuthorizationFields,
        external_id: str,
        origin: Origin,
        context: AccountContext,
        business_key: str,
        probe: int,
        ids: CommitIds,
        balance_known: bool = True,
    ) -> tuple[NewAuthorization, AccountContext]:
        account, pool, program = context.account, context.pool, context.program
        decision = decide(purchase_of(fields, account), account, program, pool.balance)
        if not balance_known:
            decision = without_balance(decision)
        now = self.clock()
        stored = StoredAuthorization(
            id=authorization_id(business_key, probe),
            business_key=business_key,
            external_id=external_id,
            account_id=account.accountId,
            pool_id=account.poolId,
            program_id=program.programId,
            client_id=origin.client_id,
            origin=origin.kind,
            service_type=program.authRewardsServiceType,
            fields=kept_fields(fields, account.accountId),
            outcome=Outcome.of(decision),
            first_reason=decision.reason,
            processed_at=iso(now),
        )
        movement = None
        if decision.redeemed:
            movement = Movement(
                pool_id=pool.poolId,
                points=decision.pointsRedeemed,
                cash=decision.cashBackAmount,
                currency=fields.cardholderBillingCurrencyCode,
                account_id=account.accountId,
                source="PWR_AUTHORIZATION",
                reference=stored.id,
                entry_id=ids.entry,
            )
        balance_after = pool.balance - decision.pointsRedeemed
        new = NewAuthorization(
            authorization=stored,
            account=account,
            business_date=business_date(fields.transactionDateAndTime, program.timeZone),
            pool_seen=pool,
            movement=movement,
            turn_off=decision.turnPwrOff,
            event=processed_event(stored, account, balance_after, ids.event),
            commit_token=ids.token,
        )
        after = AccountContext(account_after(account, decision), replace(pool, balance=balance_after), program)
        return new, after

    def _reload(self, account_id: str) -> Account:
        account = self.ledger.account(account_id)
        if account is None:
            raise unknown_account()
        return account

    # -- queueing ------------------------------------------------------------------------------
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

    # -- listing -------------------------------------------------------------------------------
    def list(
        self,
        caller: Caller,
        user_id: str,
        user_id_type: str,
        dates: tuple[date, date],
        include_reprocessed: bool,
        categories: list[str] | None,
        external_id: str | None,
        next_token: str | None = None,
    ) -> tuple[list[Authorization], str | None]:
        """The account's authorizations in the business dates [from, to], newest first, and where
        the next answer starts when there are more than MAX_LISTED."""
        first, last = dates
        if last < first:
            raise InvalidField("to_date", "to_date must not be before from_date")
        if (last - first).days > MAX_DATE_RANGE_DAYS:
            raise InvalidField("to_date", f"The date range may not exceed {MAX_DATE_RANGE_DAYS} days")
        for category in categories or []:
            if category not in FILTER_CATEGORIES:
                raise InvalidField("pwr_filter_categories", "pwr_filter_categories accepts R, E and I, comma-separated")
        account = find_account(self.ledger, self.hash_card, caller, user_id, user_id_type, field="user_id")
        wanted = frozenset(categories or FILTER_CATEGORIES)
        if external_id is not None:  # by key: the client's own, or the network's reference
            keys = [
                Origin("CLIENT", caller.clientId).business_key(external_id),
                Origin("NETWORK", None).business_key(external_id),
            ]
            found = [self.ledger.authorization_for_key(key) for key in keys]
            program = self.config.program(account.programId)
            zone = program.timeZone if program else "UTC"
            return with_rebates(
                self.rebates,
                [
                    stored.record()
                    for stored in found
                    if stored is not None
                    and stored.account_id == account.accountId
                    and first <= business_date(stored.fields.transactionDateAndTime, zone) <= last
                    and stored.outcome.reason.category in wanted
                    and (include_reprocessed or stored.reprocessed is None)
                ],
            ), None
        start = decode_token(next_token, account.accountId) if next_token else None
        page = self.ledger.authorizations(
            AuthorizationQuery(account.accountId, first, last, wanted, include_reprocessed, MAX_LISTED, start)
        )
        token = encode_token(page.next_start, account.accountId) if page.next_start else None
        return with_rebates(self.rebates, [stored.record() for stored in page.authorizations]), token


def with_rebates(lookup: RebateLookup | None, records: list[Authorization]) -> list[Authorization]:
    """Each redeemed authorization with its rebate's state (an extension)."""
    owed = [authorization_rebate(r.id, r.responseReasonId, r.cashBackAmount) for r in records]
    states = rebate_states(lookup, owed)
    return [
        record.model_copy(update={"rebate": states[reference]}) if reference in states else record
        for record, reference in zip(records, owed, strict=True)
    ]


NEXT_TOKEN_HEADER = "X-Next-Token"  # noqa: S105 - an extension: where a list longer than one answer continues


def parse_categories(raw: str | None) -> list[str] | None:
    if raw is None or raw == "":
        return None
    return [part.strip().upper() for part in raw.split(",") if part.strip()]
