"""The ledger invariant (PRODUCT.md §5): for every point pool,
balance = openingBalance + Σ credits − Σ debits over its ledger entries, balance ≥ 0,
and the pool's running totalDebits / totalCredits agree with the entries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from rewards.ledger import Ledger
from rewards.records import PoolLedger

ZERO = Decimal(0)


@dataclass(frozen=True)
class PoolAudit:
    """What one pool's ledger says, and what is wrong with it (empty = consistent)."""

    pool_id: str
    balance: Decimal
    expected_balance: Decimal
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_pool(pool_id: str, ledger: PoolLedger) -> PoolAudit:
    """Check one pool from its ledger (the pool and its entries). Pure."""
    debits = sum((e.points for e in ledger.entries if e.kind == "DEBIT"), ZERO)
    credits = sum((e.points for e in ledger.entries if e.kind == "CREDIT"), ZERO)
    pool = ledger.pool
    if pool is None:
        return PoolAudit(pool_id, ZERO, credits - debits, ("pool item missing",))
    expected = pool.openingBalance + credits - debits
    problems = []
    if pool.balance != expected:
        problems.append(
            f"balance {pool.balance} != opening {pool.openingBalance}"
            f" + credits {credits} - debits {debits} = {expected}"
        )
    if pool.balance < 0:
        problems.append(f"balance {pool.balance} is negative")
    if ledger.total_debits != debits:
        problems.append(f"totalDebits {ledger.total_debits} != sum of DEBIT entries {debits}")
    if ledger.total_credits != credits:
        problems.append(f"totalCredits {ledger.total_credits} != sum of CREDIT entries {credits}")
    return PoolAudit(pool_id, pool.balance, expected, tuple(problems))


def audit_ledger(ledger: Ledger) -> Iterator[PoolAudit]:
    """Audit every pool of the ledger."""
    for pool_id in ledger.pool_ids():
        yield audit_pool(pool_id, ledger.pool_ledger(pool_id))
