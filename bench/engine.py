"""Decisions per second of the pure rules pipeline (rewards.rules.pipeline.decide) on one core:
the mix (every purchase, preference and balance of the workload, most of which stop at an early
rule) and the full-redeem path (only the cases that pass every rule and redeem: conversion,
thresholds and the redemption computed). The goal applies to the slower of the two.

PYTHONPATH=layers/shared:. .venv/bin/python -m bench.engine [--seconds 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
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


GOAL = 20_000


def cases() -> tuple[list[tuple[Purchase, Account, object, Decimal]], list[tuple[Purchase, Account, object, Decimal]]]:
    """(the mix, the cases of it that redeem)."""
    purchases, accounts, program = workload()
    balances = [Decimal(0), Decimal(4000), Decimal(12000), Decimal(1_000_000)]
    mix = [(p, a, program, b) for p, a, b in itertools.product(purchases, accounts, balances)]
    redeeming = [case for case in mix if decide(*case).redeemed]  # type: ignore[arg-type]
    return mix, redeeming


def measure(seconds: float = 3.0, only_redeeming: bool = False) -> float:
    mix, redeeming = cases()
    chosen = redeeming if only_redeeming else mix
    return rate(chosen, seconds)


def rate(chosen: list[tuple[Purchase, Account, object, Decimal]], seconds: float) -> float:
    for purchase, account, program, balance in chosen:  # warm-up
        decide(purchase, account, program, balance)  # type: ignore[arg-type]
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for purchase, account, program, balance in chosen:
            decide(purchase, account, program, balance)  # type: ignore[arg-type]
        done += len(chosen)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    mix, redeeming = cases()
    mixed, full = rate(mix, args.seconds), rate(redeeming, args.seconds)
    print(f"engine (one core, load average {os.getloadavg()[0]:.1f}; goal >= {GOAL:,} on the slower)")
    print(f"  mix of {len(mix)} cases: {mixed:,.0f} decisions/s")
    print(f"  full-redeem path ({len(redeeming)} of them, every rule passed): {full:,.0f} decisions/s")
    print(f"  mix / full-redeem: {mixed / full:.2f}x; {'met' if min(mixed, full) >= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
