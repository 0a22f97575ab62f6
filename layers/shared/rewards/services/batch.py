"""Batched reads for a batch of queued authorizations: the card lookups, then accounts, pools and
uncached programs in one read; then each record commits its own transaction, and the
account and pool it leaves behind are what the next record of the same household starts from."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from rewards.models.messages import QueuedAuthorization
from rewards.observability import logger
from rewards.services.accounts import AccountContext
from rewards.services.authorizations import AuthorizationService, Processed


@dataclass
class AuthorizationBatch:
    service: AuthorizationService
    contexts: dict[tuple[str, str], AccountContext] = field(default_factory=dict)

    @classmethod
    def prefetch(cls, service: AuthorizationService, records: Iterable[dict[str, Any]]) -> AuthorizationBatch:
        batch = cls(service)
        messages = []
        for record in records:
            try:
                messages.append(QueuedAuthorization.model_validate(json.loads(record.get("body", ""))))
            except (ValueError, ValidationError):
                continue  # the record handler reports it as a failure on its own
        try:
            batch._load(messages)
        except Exception:  # prefetch is an optimisation; each record can still load alone
            logger.exception("batch prefetch failed; records will load one by one")
            batch.contexts.clear()
        return batch

    def _load(self, messages: list[QueuedAuthorization]) -> None:
        """Two reads for any batch: the card lookups (which name the account, its pool and program),
        then the accounts and pools together, with the programs this container has not cached yet;
        a pool no lookup named (RANAC, or a lookup written without it) is read after its account."""
        ledger, config = self.service.ledger, self.service.config
        identities = {(m.authorization.accountIdType, m.authorization.accountId) for m in messages}
        card_numbers = {number for kind, number in identities if kind == "BAN"}
        hashes = {self.service.hash_card(number): number for number in card_numbers}
        refs = {hashes[h]: ref for h, ref in ledger.cards(hashes).items()} if hashes else {}
        ranacs = {number for kind, number in identities if kind == "RANAC"}
        accounts, pools = ledger.holders(
            {ref.accountId for ref in refs.values()} | ranacs,
            {ref.poolId for ref in refs.values() if ref.poolId},
            config,
            {ref.programId for ref in refs.values()},
        )
        unread = {a.poolId for a in accounts.values()} - pools.keys()
        if unread:
            pools |= ledger.holders((), unread, config, {a.programId for a in accounts.values()})[1]
        for kind, number in identities:
            ref = refs.get(number)
            account = accounts.get(ref.accountId if kind == "BAN" and ref else number)
            if account is None or account.poolId not in pools:
                continue
            program = config.program(account.programId)
            if program is not None:
                self.contexts[(kind, number)] = AccountContext(account, pools[account.poolId], program)

    def process(self, message: QueuedAuthorization) -> Processed:
        fields = message.authorization
        identity = (fields.accountIdType, fields.accountId)
        context = self.contexts.get(identity)
        try:
            processed = self.service.process_message(message, context)
        except Exception:
            self._forget(context)
            raise
        if processed.after is None:  # a replay, or an answer read back: the pool's balance is unknown
            self._forget(context)
        else:
            self._carry(processed.after)
            self.contexts[identity] = processed.after
        return processed

    def _carry(self, after: AccountContext) -> None:
        """The pool's balance and the account after a commit, for the records still to come."""
        for identity, context in list(self.contexts.items()):
            if context.account.accountId == after.account.accountId:
                self.contexts[identity] = after
            elif context.pool.poolId == after.pool.poolId:
                self.contexts[identity] = replace(context, pool=after.pool)

    def _forget(self, context: AccountContext | None) -> None:
        """Nothing is known of the pool after this record: the others of its pool read it again."""
        if context is None:
            return
        for identity, other in list(self.contexts.items()):
            if other.pool.poolId == context.pool.poolId:
                del self.contexts[identity]
