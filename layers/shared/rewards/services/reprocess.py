"""POST /authorizations/{id}/reprocess: a cardholder's post-purchase redemption of one recorded
authorization, at most once, whatever its OFF preference says."""

from __future__ import annotations

from dataclasses import replace

from rewards.domain import Caller
from rewards.errors import BusinessRefusal, Conflict, NotFound, not_committed
from rewards.ids import CommitIds, new_authorization_id
from rewards.ledger import BalanceMoved, RecordChanged
from rewards.models.config import Program
from rewards.models.pwr import Authorization
from rewards.records import Movement, NewReprocess, Outcome, Reprocessed, StoredAuthorization
from rewards.rules.pipeline import decide
from rewards.services.accounts import AccountContext, find_account, load_context
from rewards.services.authorizations import processed_event, purchase_of
from rewards.services.use_case import MAX_REBUILDS, UseCase
from rewards.timestamps import iso


def already_reprocessed() -> Conflict:
    return Conflict("This authorization was already reprocessed.", reason_code="ALREADY_REPROCESSED")


class ReprocessService(UseCase):
    def reprocess(self, caller: Caller, auth_id: str, account_id: str, processed_by: str) -> Authorization:
        """Redeem an eligible authorization now. The same request sent again (same client, account
        and processedBy) answers the reprocess it made; any other request for an authorization
        already reprocessed is refused (409)."""
        ids = CommitIds(new_authorization_id())
        for rebuild in range(MAX_REBUILDS):
            # The caller's programs first: a foreign client learns nothing about ids or accounts.
            account = find_account(self.ledger, self.hash_card, caller, account_id, "RANAC", field="accountId")
            current = self.ledger.authorization(auth_id)
            if current is None or current.account_id != account_id:
                raise NotFound(
                    "No authorization with this id for this account.",
                    reason_code="AUTHORIZATION_NOT_FOUND",
                    details="id",
                )
            if current.reprocessed is not None:
                if current.reprocessed.client_id == caller.clientId and current.reprocessed.by == processed_by:
                    return current.record()
                raise already_reprocessed()
            context = load_context(self.ledger, self.config, account)
            check_reprocessable(current, context.program)
            try:
                return self.ledger.record_reprocess(
                    self._new_reprocess(current, context, caller, processed_by, ids)
                ).record()
            except (RecordChanged, BalanceMoved):  # reprocessed meanwhile, or the balance moved: read again
                self.spread(rebuild)
        raise not_committed()

    def _new_reprocess(
        self, current: StoredAuthorization, context: AccountContext, caller: Caller, processed_by: str, ids: CommitIds
    ) -> NewReprocess:
        account, pool, program = context.account, context.pool, context.program
        decision = decide(purchase_of(current.fields, account), account, program, pool.balance, post_purchase=True)
        if not decision.redeemed:
            raise BusinessRefusal(
                f"Not redeemed: {decision.reason.description}",
                reason_code=f"REPROCESS_{decision.detail.value}",
                details=decision.reason.value,
            )
        now = iso(self.clock())
        updated = replace(
            current,
            outcome=Outcome.of(decision),
            reprocessed=Reprocessed(ids.record, processed_by, now, caller.clientId),
        )
        movement = Movement(
            pool_id=pool.poolId,
            points=decision.pointsRedeemed,
            cash=decision.cashBackAmount,
            currency=current.fields.cardholderBillingCurrencyCode,
            account_id=account.accountId,
            source="PWR_REPROCESS",
            reference=current.id,
            entry_id=ids.entry,
        )
        event = processed_event(
            replace(updated, client_id=caller.clientId, origin="CLIENT", processed_at=now),
            account,
            pool.balance - decision.pointsRedeemed,
            ids.event,
        )
        return NewReprocess(
            updated=updated,
            expected_reason=current.outcome.reason,
            pool_seen=pool,
            movement=movement,
            event=event,
            commit_token=ids.token,
        )


def check_reprocessable(current: StoredAuthorization, program: Program) -> None:
    if current.outcome.reason.value not in program.reprocessableReasonCodes:
        raise BusinessRefusal(
            f"responseReasonId {current.outcome.reason.value} cannot be reprocessed in this program.",
            reason_code="NOT_REPROCESSABLE",
        )
