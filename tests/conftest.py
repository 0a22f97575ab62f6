from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    POWERTOOLS_TRACE_DISABLED="1",
    POWERTOOLS_METRICS_NAMESPACE="PayWithRewardsTest",
    POWERTOOLS_SERVICE_NAME="rewards-test",
    POWERTOOLS_LOG_LEVEL="INFO",
)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(autouse=True, scope="session")
def transaction_tokens() -> None:
    """moto honours ClientRequestToken as DynamoDB does (tools.moto_idempotency), and projects an
    index entry in one conversion (tools.moto_projection)."""
    from tools import moto_idempotency, moto_projection

    moto_idempotency.install()
    moto_projection.install()


@pytest.fixture
def stack() -> Iterator[object]:
    """Every resource of template.yaml on in-process moto, demo configuration not loaded."""
    from moto import mock_aws

    from rewards import runtime
    from tests.support import provision_stack

    with mock_aws():
        runtime.reset()
        yield provision_stack()
        runtime.reset()


@pytest.fixture
def demo(stack: object) -> object:
    """The stack with config/demo.yaml loaded."""
    from tests.support import load_config

    load_config(stack)  # type: ignore[arg-type]
    return stack
