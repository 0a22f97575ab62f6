"""A PWR authorization and a DR redemption racing on one account whose points a client's point
bank holds: the bank is the one place the balance is decided, so only one of them redeems and both
stores end with the same movements (the reconciliation agrees)."""

from __future__ import annotations

import io
import threading
from decimal import Decimal

import pytest
from tools import check_point_bank

from rewards.errors import BusinessRefusal
from rewards.models.dr import REDEMPTION_REQUEST, StatementCredit
from rewards.rules.reasons import ReasonCode
from tests.integration.test_external_bank_ledger import (  # noqa: F401 - world is a fixture
    ACCOUNT,
    BANK_BALANCE,
    MERCHANT,
    POOL,
    World,
    message,
    redemption_service,
    world,
)
from tests.reliability import harness

SPEND = Decimal("300.00")  # 30,000 points each; the bank holds 50,000


@pytest.mark.parametrize("round_", range(3))
def test_pwr_and_dr_on_one_external_account_redeem_once_between_them(world: World, round_: int) -> None:  # noqa: F811
    request = REDEMPTION_REQUEST.validate_python(harness.dr_redemption(ACCOUNT, SPEND, f"DRRACE{round_}"))
    assert not isinstance(request, StatementCredit)
    barrier, results = threading.Barrier(2, timeout=30), {}

    def pwr() -> None:
        barrier.wait()
        results["pwr"] = world.service.process_message(message(f"NETRACE{round_:05d}", amount=SPEND)).stored.outcome

    def dr() -> None:
        barrier.wait()
        try:
            results["dr"] = redemption_service(world).redeem(MERCHANT, request).pointBalance
        except BusinessRefusal as refused:
            results["dr"] = refused.reason_code

    threads = [threading.Thread(target=pwr), threading.Thread(target=dr)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    pwr_redeemed = results["pwr"].reason is ReasonCode.REDEEMED
    dr_redeemed = not isinstance(results["dr"], str)
    assert pwr_redeemed != dr_redeemed, results  # exactly one of them
    moves = [m for m in world.bank.store.movements() if m.committed]
    assert [(m.kind, m.points) for m in moves] == [("DEBIT", Decimal(30_000))]
    assert world.bank.store.balance(POOL) == BANK_BALANCE - 30_000
    out = io.StringIO()
    assert check_point_bank.check(world.ledger, world.bank.store, out) == 0, out.getvalue()
