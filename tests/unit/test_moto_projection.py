"""tools/moto_projection.py projects exactly what moto's own projection does."""

from __future__ import annotations

import pytest
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from tools import moto_projection

pytestmark = pytest.mark.unit

ATTRIBUTES = {
    "pk": {"S": "AUTH#1"},
    "sk": {"S": "AUTH"},
    "o": {"M": {"r": {"S": "60"}, "p": {"N": "12.5"}, "deep": {"M": {"x": {"L": [{"S": "a"}, {"N": "2"}]}}}}},
    "f": {"S": "{}"},
    "l": {"L": [{"S": "first"}, {"M": {"y": {"BOOL": True}}}]},
    "tags": {"SS": ["a", "b"]},
    "unwanted": {"S": "x" * 50},
}
PROJECTIONS = [[["pk"], ["sk"], ["o"], ["f"], ["l"], ["tags"], ["missing"]], [["o", "deep", "x"], ["l[1]", "y"]], []]


@pytest.mark.parametrize("expressions", PROJECTIONS, ids=["top-level", "nested", "nothing"])
def test_the_projection_is_moto_s_own(expressions):
    def projected() -> dict:
        item = Item(DynamoType({"S": "AUTH#1"}), DynamoType({"S": "AUTH"}), ATTRIBUTES)
        return item.project(expressions).to_json()

    moto_projection.uninstall()
    try:
        expected = projected()
    finally:
        moto_projection.install()
    assert projected() == expected
    assert "unwanted" not in projected()["Attributes"]
