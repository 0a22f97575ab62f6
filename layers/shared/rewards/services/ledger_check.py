"""The ledger invariant (PRODUCT.md §5): for every point pool,
balance = openingBalance + Σ credits − Σ debits over its ledger entries, balance ≥ 0,
and the pool's running totalDebits / totalCredits agree with the entries.

A pool of a program whose points a client's point bank holds (``pointBank: EXTERNAL``) mirrors the
bank's balance, so its balance is not its opening balance and entries: only its totals and sign are
checked here, and ``tools.check_point_bank`` checks the mirror against the bank."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from rewards.ledger import Configuration, Ledger
from rewards.records import PoolLedger

ZERO = Decimal(0)


@dataclass(frozen=True)
class PoolAudit:
    """What one pool's ledger says, and what is wrong with it (empty = consistent)."""

    pool_id: str
    balance: Decimal
    expected_balance: Decimal
    problems: tuple[str, ...]
    mirrored: bool = False  # its balance is a point bank's (not checked against the entries here)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_pool(pool_id: str, ledger: PoolLedger, mirrored: bool = False) -> PoolAudit:
    """Check one pool from its ledger (the pool and its entries). Pure."""
    debits = sum((e.points for e in ledger.entries if e.kind == "DEBIT"), ZERO)
    credits = sum((e.points for e in ledger.entries if e.kind == "CREDIT"), ZERO)
    pool = ledger.pool
    if pool is None:
        return PoolAudit(pool_id, ZERO, credits - debits, ("pool item missing",))
    expected = pool.openingBalance + credits - debits
    problems = []
    if pool.balance != expected and not mirrored:
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
    return PoolAudit(pool_id, pool.balance, expected, tuple(problems), mirrored)


def held_at_bank(config: Configuration) -> Callable[[str], bool]:
    """Whether a program's points are held by a client's point bank."""

    def external(program_id: str) -> bool:
        program = config.program(program_id)
        return program is not None and program.pointBank.external

    return external


def audit_ledger(ledger: Ledger, external: Callable[[str], bool] = lambda _: False) -> Iterator[PoolAudit]:
    """Audit every pool of the ledger; ``external`` tells the programs whose pools mirror a bank."""
    for pool_id in ledger.pool_ids():
        pool_ledger = ledger.pool_ledger(pool_id)
        mirrored = pool_ledger.pool is not None and external(pool_ledger.pool.programId)
        yield audit_pool(pool_id, pool_ledger, mirrored)
