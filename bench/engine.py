"""Decisions per second of the pure rules pipeline (rewards.rules.pipeline.decide) on one core.

PYTHONPATH=layers/shared:. .venv/bin/python -m bench.engine [--seconds 3]
"""

from __future__ import annotations

import argparse
import itertools
import time
from decimal import Decimal
from pathlib import Path

import yaml

from rewards.domain import Account, AccountStatus, CardholderPreferences, HouseholdRole, RedemptionFrequency
from rewards.models.config import ConfigurationDocument
from rewards.rules.conversion import Purchase
from rewards.rules.pipeline import decide

DEMO = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"


def workload() -> tuple[list[Purchase], list[Account], object]:
    program = ConfigurationDocument.model_validate(yaml.safe_load(DEMO.read_text())).programs[0]
    purchases = [
        Purchase(Decimal(amount), "USD", True, mcc, merchant, "FRA", "USA")
        for amount, mcc, merchant in itertools.product(
            ["4.99", "25.00", "100.00", "499.99", "750.00"],
            ["5732", "4511", "6011"],
            ["ELEC00000000001", "GROCER0000001"],
        )
    ]
    accounts = [
        Account(
            accountId=f"RANAC{n}",
            userId="u",
            programId=program.programId,
            status=AccountStatus.GOOD_STANDING,
            poolId="HH",
            householdId="HH",
            householdRole=HouseholdRole.REDEEMER,
            lastFour="0000",
            preferences=CardholderPreferences(redemptionFrequency=frequency, minAccountPurchaseThreshold=threshold),
        )
        for n, (frequency, threshold) in enumerate(
            [(RedemptionFrequency.MULT, None), (RedemptionFrequency.SNGL, Decimal(20)), (RedemptionFrequency.OFF, None)]
        )
    ]
    return purchases, accounts, program


def measure(seconds: float = 3.0) -> float:
    purchases, accounts, program = workload()
    balances = [Decimal(0), Decimal(4000), Decimal(12000), Decimal(1_000_000)]
    cases = list(itertools.product(purchases, accounts, balances))
    for purchase, account, balance in cases:  # warm-up
        decide(purchase, account, program, balance)  # type: ignore[arg-type]
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for purchase, account, balance in cases:
            decide(purchase, account, program, balance)  # type: ignore[arg-type]
        done += len(cases)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rate = measure(args.seconds)
    print(f"engine: {rate:,.0f} decisions/s on one core (goal >= 20,000)")


if __name__ == "__main__":
    main()
