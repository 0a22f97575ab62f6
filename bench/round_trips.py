"""DynamoDB and SSM requests per authorization, counted at botocore: an SQS batch of 10
authorizations for 10 different cardholders, identified by account (RANAC) and, as the card network
sends them, by card number (BAN: the card-hash key from SSM, then the card lookups), each in a cold
container (nothing cached: the key, the program) and a warm one; and single API authorizations
(queueTransaction=N). In-process moto.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.round_trips
"""

from __future__ import annotations

import json
import os
from collections import Counter
from contextlib import redirect_stdout
from decimal import Decimal
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto needs any value
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_TRACE_DISABLED="1",
    POWERTOOLS_LOG_LEVEL="ERROR",
    POWERTOOLS_METRICS_NAMESPACE="Bench",
    POWERTOOLS_METRICS_DISABLED="true",
)

CARDHOLDERS = 10
GOAL_COLD = 1.3
GOAL_WARM = 1.2


def account_id(tag: str, n: int) -> str:
    return f"RANAC{tag}{n:03d}"


def card_number(tag: str, n: int) -> str:
    return f"5800{tag:0>4}{n:08d}"


def card_message(tag: str, n: int, amount: Decimal, reference: str) -> str:
    """The network's copy of a purchase: the cardholder named by card number."""
    from tests.reliability import harness

    message = json.loads(harness.network_message(account_id(tag, n), amount, reference))
    message["authorization"] |= {"accountId": card_number(tag, n), "accountIdType": "BAN"}
    return json.dumps(message)


def cardholders_document(
    tag: str, count: int = CARDHOLDERS, opening_balance: str = "1000000", with_client: bool = False
) -> str:
    """``count`` MULT cardholders with their own pools in the harness program (and its client)."""
    from tests.reliability import harness

    users = [
        {
            "userId": f"u{tag}{n}",
            "accounts": [
                {
                    "accountId": account_id(tag, n),
                    "cardNumber": card_number(tag, n),
                    "programId": harness.PROGRAM_ID,
                    "openingBalance": opening_balance,
                    "preferences": {"redemptionFrequency": "MULT"},
                }
            ],
        }
        for n in range(count)
    ]
    document: dict[str, Any] = {"programs": [harness.program()], "users": users}
    if with_client:
        document["clients"] = [
            {"clientId": harness.CLIENT_ID, "name": "Bench", "role": "ISSUER", "programIds": [harness.PROGRAM_ID]}
        ]
    return json.dumps(document)


def counted(action: Any) -> Counter[str]:
    from rewards import runtime

    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    def count_actions(params: dict[str, Any], **_: Any) -> None:
        """Write actions per transaction (each costs 2 write units per KB): the cost model's input."""
        for item in params.get("TransactItems", []):
            calls[f"  action {next(iter(item))}"] += 1

    def count_ssm(event_name: str, **_: Any) -> None:
        calls["SSM " + event_name.rsplit(".", 1)[-1]] += 1

    events = runtime.aws_client("dynamodb").meta.events
    ssm_events = runtime.aws_client("ssm").meta.events  # the card-hash key's client (runtime.ssm_provider)
    events.register("before-call.dynamodb", count, unique_id="bench-count")
    events.register("before-parameter-build.dynamodb.TransactWriteItems", count_actions, unique_id="bench-actions")
    ssm_events.register("before-call.ssm", count_ssm, unique_id="bench-ssm")
    try:
        action()
    finally:
        events.unregister("before-call.dynamodb", unique_id="bench-count")
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", unique_id="bench-actions")
        ssm_events.unregister("before-call.ssm", unique_id="bench-ssm")
    return calls


def measure() -> dict[str, Counter[str]]:
    from moto import mock_aws
    from tests.reliability import harness
    from tests.support import invoke, load_config, provision_stack

    from rewards import runtime

    results: dict[str, Counter[str]] = {}
    with mock_aws():
        runtime.reset()
        stack = provision_stack("bench")
        amount = Decimal("25.00")
        runs = (
            ("queue batch of 10 by RANAC, cold container", "1000", False),
            ("queue batch of 10 by RANAC, warm container", "2000", False),
            ("queue batch of 10 by card number, cold", "4000", True),
            ("queue batch of 10 by card number, warm", "5000", True),
        )
        for run, tag, by_card in runs:
            load_config(stack, text=cardholders_document(tag))
            if run.endswith("cold") or "cold container" in run:
                runtime.reset()  # a new container: no key, no program cached
            bodies = [
                card_message(tag, n, amount, f"B{tag}{n}")
                if by_card
                else harness.network_message(account_id(tag, n), amount, f"B{tag}{n}")
                for n in range(CARDHOLDERS)
            ]
            results[run] = counted(lambda b=bodies: invoke("AuthProcessorFunction", harness.network_event(*b)))
        load_config(stack, text=cardholders_document("3000"))
        results["API authorization (warm)"] = counted(
            lambda: invoke(
                "AuthorizationsFunction", harness.post_authorization("RANAC3000000", Decimal("25.00"), "BENCHAPI1")
            )
        )
        runtime.reset()
    return results


def main() -> None:
    with open(os.devnull, "w") as quiet, redirect_stdout(quiet):  # the functions' JSON log lines
        results = measure()
    print(f"DynamoDB and SSM requests per authorization (botocore calls; load average {os.getloadavg()[0]:.1f})")
    for name, calls in results.items():
        authorizations = CARDHOLDERS if "batch" in name else 1
        requests = {k: v for k, v in calls.items() if not k.startswith(" ")}
        actions = {k.split()[-1]: v / authorizations for k, v in calls.items() if k.startswith(" ")}
        per = sum(requests.values()) / authorizations
        goal = f" (goal <= {GOAL_COLD if 'cold' in name else GOAL_WARM})" if "batch" in name else ""
        print(f"  {name:36s} {per:5.2f} per authorization{goal}  {dict(sorted(requests.items()))}")
        print(f"  {'':36s} transaction actions per authorization: {actions}")


if __name__ == "__main__":
    main()
