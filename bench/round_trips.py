"""DynamoDB requests per authorization, counted at botocore: an SQS batch of 10 authorizations
for 10 different cardholders, and single API authorizations (queueTransaction=N). In-process moto.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.round_trips
"""

from __future__ import annotations

import json
import os
from collections import Counter
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
GOAL_QUEUED = 1.3


def account_id(tag: str, n: int) -> str:
    return f"RANAC{tag}{n:03d}"


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
                    "cardNumber": f"58{tag:0>4}{n:06d}",
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

    events = runtime.aws_client("dynamodb").meta.events
    events.register("before-call.dynamodb", count, unique_id="bench-count")
    events.register("before-parameter-build.dynamodb.TransactWriteItems", count_actions, unique_id="bench-actions")
    try:
        action()
    finally:
        events.unregister("before-call.dynamodb", unique_id="bench-count")
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", unique_id="bench-actions")
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
        for run, tag in (("queue batch of 10, cold container", "1000"), ("queue batch of 10, warm container", "2000")):
            load_config(stack, text=cardholders_document(tag))
            amount = Decimal("25.00")
            bodies = [harness.network_message(account_id(tag, n), amount, f"B{tag}{n}") for n in range(CARDHOLDERS)]
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
    results = measure()
    print("DynamoDB requests per authorization (botocore calls)")
    for name, calls in results.items():
        authorizations = CARDHOLDERS if "batch" in name else 1
        requests = {k: v for k, v in calls.items() if not k.startswith(" ")}
        actions = {k.split()[-1]: v / authorizations for k, v in calls.items() if k.startswith(" ")}
        per = sum(requests.values()) / authorizations
        goal = f" (goal <= {GOAL_QUEUED})" if "batch" in name else ""
        print(f"  {name:36s} {per:5.2f} per authorization{goal}  {dict(sorted(requests.items()))}")
        print(f"  {'':36s} transaction actions per authorization: {actions}")


if __name__ == "__main__":
    main()
