"""The ledger invariant (PRODUCT.md §5): for every point pool,
balance = openingBalance + Σ credits − Σ debits over its ledger entries, balance ≥ 0,
and the pool's running totalDebits / totalCredits agree with the entries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from rewards.adapters.dynamo import Item, dec
from rewards.adapters.ledger import LedgerStore

ZERO = Decimal(0)


@dataclass(frozen=True)
class PoolAudit:
    """What one pool's partition says, and what is wrong with it (empty = consistent)."""

    pool_id: str
    balance: Decimal
    expected_balance: Decimal
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_pool(pool_id: str, partition: Iterable[Item]) -> PoolAudit:
    """Check one pool from its partition items (the POOL item and its LEDGER# entries). Pure."""
    pool: Item | None = None
    debits = credits = ZERO
    for item in partition:
        sort_key = str(item.get("sk", ""))
        if sort_key == "POOL":
            pool = item
        elif sort_key.startswith("LEDGER#"):
            points = dec(item["points"])
            if item.get("entryType") == "CREDIT":
                credits += points
            else:
                debits += points
    if pool is None:
        return PoolAudit(pool_id, ZERO, credits - debits, ("pool item missing",))

    balance = dec(pool["balance"])
    opening = dec(pool["openingBalance"])
    expected = opening + credits - debits
    problems = []
    if balance != expected:
        problems.append(f"balance {balance} != opening {opening} + credits {credits} - debits {debits} = {expected}")
    if balance < 0:
        problems.append(f"balance {balance} is negative")
    total_debits, total_credits = dec(pool.get("totalDebits", 0)), dec(pool.get("totalCredits", 0))
    if total_debits != debits:
        problems.append(f"totalDebits {total_debits} != sum of DEBIT entries {debits}")
    if total_credits != credits:
        problems.append(f"totalCredits {total_credits} != sum of CREDIT entries {credits}")
    return PoolAudit(pool_id, balance, expected, tuple(problems))


def audit_ledger(store: LedgerStore) -> Iterator[PoolAudit]:
    """Audit every pool in the ledger table (a scan for pool ids, then one query per pool)."""
    for pool_id in store.all_pool_ids():
        yield audit_pool(pool_id, store.pool_partition(pool_id))
