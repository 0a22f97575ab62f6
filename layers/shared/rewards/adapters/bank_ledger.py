"""The ledger for programs whose points a client's point bank holds (``pointBank: EXTERNAL``,
docs/point-bank.md): the same interface as ``DynamoLedger``, so rules and use cases do not change.

Balance reads (profile, DR balance, the PWR decision) answer the bank's balance. A debit or credit:
1. records an intent ``INTENT#{business key} / {bank key}`` (PENDING) before the call;
2. asks the bank under the bank key, a digest of the business key, kind and points, so that a
   retry of the same request asks the same movement again and the bank answers its one outcome;
3. commits the outcome in the normal conditional transaction, which sets the pool (a mirror of the
   bank's balance) to the balance the bank answered and marks the intent COMMITTED.
A request whose business key is committed already is not asked of the bank (the ledger answers
it as a duplicate). A refusal for insufficient points is the pool's refusal (``BalanceMoved`` with the bank's balance:
the use case decides again). An intent of the same business key left PENDING by an earlier
attempt that decided otherwise is resolved first: asked again under its key, and reversed when it
had committed, so a request has one effect at the bank whatever it decides in the end.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import get_args

from rewards.adapters import ledger_items as items
from rewards.adapters.dynamo import Item, Table
from rewards.adapters.dynamo_ledger import DynamoLedger
from rewards.adapters.point_bank import (
    InsufficientBankPoints,
    OutcomeUnknown,
    PointBankClient,
    Reason,
    UnknownBankAccount,
)
from rewards.domain import Account, PointPool
from rewards.errors import not_committed
from rewards.ledger import BalanceMoved, BalanceUnknown, Configuration
from rewards.models.config import Program
from rewards.records import (
    BankCommit,
    Movement,
    NewAuthorization,
    NewCredit,
    NewRedemption,
    NewReprocess,
    StoredAuthorization,
    StoredRequest,
)
from rewards.timestamps import iso

BankFor = Callable[[Program], PointBankClient]

REASONS: dict[str, Reason] = {reason: reason for reason in get_args(Reason)}
BANK_UNAVAILABLE = "The client's point bank did not answer; nothing was redeemed. Retry the request."


def bank_key(business_key: str, movement: Movement) -> str:
    """The Idempotency-Key of one movement of one request (the same on every retry of it)."""
    digest = hashlib.sha256(f"{business_key}|{movement.kind}|{movement.points}".encode()).hexdigest()
    return f"rw-{digest[:48]}"


class BankLedger(DynamoLedger):
    def __init__(
        self,
        table: Table,
        config: Configuration,
        bank_for: BankFor,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(table, sleep)
        self.config = config
        self.bank_for = bank_for
        self.clock = clock

    def _external(self, program_id: str) -> Program | None:
        program = self.config.program(program_id)
        return program if program is not None and program.pointBank.external else None

    # -- balance reads --------------------------------------------------------------------------
    def _mirror(self, pool: PointPool) -> PointPool:
        program = self._external(pool.programId)
        if program is None:
            return pool
        try:
            return replace(pool, balance=self.bank_for(program).balance(pool.poolId))
        except UnknownBankAccount:
            return replace(pool, balance=pool.balance * 0)
        except OutcomeUnknown:
            raise BalanceUnknown(pool) from None

    def pool(self, pool_id: str) -> PointPool | None:
        found = super().pool(pool_id)
        return self._mirror(found) if found else None

    def pools(self, pool_ids: Iterable[str]) -> dict[str, PointPool]:
        return {pool_id: self._mirror(pool) for pool_id, pool in super().pools(pool_ids).items()}

    def holders(
        self,
        account_ids: Iterable[str],
        pool_ids: Iterable[str],
        config: Configuration,
        program_ids: Iterable[str] = (),
    ) -> tuple[dict[str, Account], dict[str, PointPool]]:
        """A pool whose bank does not answer is left out: its requests read it alone (BalanceUnknown)."""
        accounts, pools = super().holders(account_ids, pool_ids, config, program_ids)
        mirrored = {}
        for pool_id, pool in pools.items():
            try:
                mirrored[pool_id] = self._mirror(pool)
            except BalanceUnknown:
                continue
        return accounts, mirrored

    # -- movements ------------------------------------------------------------------------------
    def record_authorization(self, new: NewAuthorization) -> StoredAuthorization:
        program = self._external(new.authorization.program_id)
        if program is None or self.authorization_for_key(new.authorization.business_key) is not None:
            return super().record_authorization(new)  # a committed key: the ledger answers Duplicate
        key = new.authorization.business_key
        movement = self._asked(program, key, new.movement, new.pool_seen, "PWR_REDEMPTION")
        return super().record_authorization(replace(new, movement=movement))

    def record_reprocess(self, new: NewReprocess) -> StoredAuthorization:
        program = self._external(new.updated.program_id)
        current = self.authorization(new.updated.id)
        if program is None or current is None or current.reprocessed is not None:
            return super().record_reprocess(new)
        key = f"REPROCESS#{new.updated.id}"
        movement = self._asked(program, key, new.movement, new.pool_seen, "PWR_REPROCESS")
        assert movement is not None
        return super().record_reprocess(replace(new, movement=movement))

    def record_redemption(self, new: NewRedemption) -> StoredRequest:
        program = self._external(new.pool_seen.programId)
        if program is None or any(self.request_for_key(key) for key in new.keys.values()):
            return super().record_redemption(new)
        key = new.keys.get("idempotency") or new.keys["unique"]
        movement = self._asked(program, key, new.movement, new.pool_seen, "DR_REDEMPTION")
        assert movement is not None
        return super().record_redemption(replace(new, movement=movement))

    def record_credit(self, new: NewCredit) -> StoredRequest:
        program = self._external(new.pool_seen.programId)
        if program is None or (new.key is not None and self.request_for_key(new.key) is not None):
            return super().record_credit(new)
        key = new.key or f"CREDIT#{new.credit.credit_id}"
        movement = self._asked(program, key, new.movement, new.pool_seen, "DR_CREDIT")
        assert movement is not None
        return super().record_credit(replace(new, movement=movement))

    def _asked(
        self, program: Program, business_key: str, movement: Movement | None, seen: PointPool, reason: Reason
    ) -> Movement | None:
        """The movement as the bank committed it (None: no movement, earlier intents resolved)."""
        bank = self.bank_for(program)
        wanted = bank_key(business_key, movement) if movement else None
        self._resolve_others(bank, business_key, keep=wanted)
        if movement is None or wanted is None:
            return None
        self._record_intent(business_key, wanted, movement, reason)
        ask = bank.debit if movement.kind == "DEBIT" else bank.credit
        try:
            done = ask(movement.pool_id, movement.points, wanted, movement.reference, reason)
        except InsufficientBankPoints as refused:
            self._set_status(business_key, wanted, "REFUSED")
            raise BalanceMoved(replace(seen, balance=refused.balance)) from None
        except UnknownBankAccount:
            self._set_status(business_key, wanted, "REFUSED")
            raise BalanceMoved(replace(seen, balance=seen.balance * 0)) from None
        except OutcomeUnknown:  # the intent stays PENDING: the next retry, or the sweeper, asks again
            raise not_committed(BANK_UNAVAILABLE) from None
        return replace(movement, bank=BankCommit(business_key, wanted, done.balance))

    def _record_intent(self, business_key: str, key: str, movement: Movement, reason: Reason) -> None:
        pk, sk = items.intent_key(business_key, key)
        item = {
            "pk": pk,
            "sk": sk,
            "type": "BANK_INTENT",
            "status": "PENDING",
            "kind": movement.kind,
            "points": movement.points,
            "poolId": movement.pool_id,
            "reference": movement.reference,
            "reason": reason,
            "createdAt": iso(self.clock()),
        }
        # refused when it is there already: this request's own, from an earlier attempt (ask again)
        self.send(lambda _: self.table.put(item, condition="attribute_not_exists(pk)"))

    def _set_status(self, business_key: str, key: str, status: str) -> None:
        self.table.update(
            *items.intent_key(business_key, key),
            UpdateExpression="SET #s = :s, resolvedAt = :now",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": status}, ":now": {"S": iso(self.clock())}},
        )

    def _resolve_others(self, bank: PointBankClient, business_key: str, keep: str | None) -> None:
        """Ask each PENDING intent of this business key but ``keep`` again, and reverse it if the
        bank had committed it: the request decided otherwise since."""
        pending = self.table.query(
            KeyConditionExpression="pk = :pk",
            FilterExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":pk": {"S": items.intent_key(business_key, "")[0]},
                ":pending": {"S": "PENDING"},
            },
            ConsistentRead=True,
        )
        for intent in pending:
            if intent["sk"] != keep:
                self._reverse(bank, business_key, intent)

    def _reverse(self, bank: PointBankClient, business_key: str, intent: Item) -> None:
        key, pool_id, reference = str(intent["sk"]), str(intent["poolId"]), str(intent["reference"])
        points, reason = Decimal(intent["points"]), REASONS[str(intent["reason"])]
        ask, undo = (bank.debit, bank.credit) if intent["kind"] == "DEBIT" else (bank.credit, bank.debit)
        try:
            ask(pool_id, points, key, reference, reason)  # its one outcome (committed now if it never was)
        except (InsufficientBankPoints, UnknownBankAccount):
            self._set_status(business_key, key, "REFUSED")
            return
        except OutcomeUnknown:
            raise not_committed(BANK_UNAVAILABLE) from None
        try:
            undo(pool_id, points, f"{key}-reversal", reference, reason)
        except (OutcomeUnknown, InsufficientBankPoints):
            raise not_committed(BANK_UNAVAILABLE) from None
        self._set_status(business_key, key, "REVERSED")
