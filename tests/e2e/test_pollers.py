"""Stream filter patterns as Lambda applies them (the stream poller is waiting for its first consumer)."""

from __future__ import annotations

import pytest
from tools.local.pollers import matches

pytestmark = pytest.mark.e2e

RECORD = {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "EVT#123"}}, "NewImage": {"type": {"S": "AUTH"}}}}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT"]}, True),
        ({"eventName": ["MODIFY", "REMOVE"]}, False),
        ({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "EVT#"}]}}}}, True),
        ({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "ACCT#"}]}}}}, False),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"anything-but": ["POOL"]}]}}}}, True),
        ({"dynamodb": {"NewImage": {"status": {"S": [{"exists": False}]}}}}, True),
        ({"dynamodb": {"NewImage": {"status": {"S": [{"exists": True}]}}}}, False),
        ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"type": {"S": ["POOL"]}}}}, False),
    ],
)
def test_filter_patterns(pattern, expected):
    assert matches(pattern, RECORD) is expected
