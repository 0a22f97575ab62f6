"""docs/api-fidelity.md: measured from docs/openapi.yaml against Mastercard's fields, never typed."""

from __future__ import annotations

import pytest
from tools import fidelity
from tools.fidelity import Fact, Ours, differences

pytestmark = pytest.mark.e2e


def test_committed_report_matches_the_document():
    assert fidelity.REPORT_FILE.read_text() == fidelity.render(), "docs/api-fidelity.md is stale: run `make openapi`"


def test_every_mastercard_name_is_published_and_every_difference_is_said():
    results = fidelity.measure()
    fields = [(r.model, f) for r in results for f in r.fields]
    assert [(m, f.name) for m, f in fields if not f.present] == []
    assert [(m, f.name, f.reasons) for m, f in fields if not f.exact and not (f.ours and f.ours.marked)] == []
    assert [(r.where, n) for r in results for n, marked in r.extensions if not marked] == []
    assert [m for m in fidelity.extension_models() if not m[2]] == []
    assert [p for p in fidelity.extension_parameters() if not p[2]] == []


def test_the_models_the_issue_names_are_measured():
    measured = {r.model: r for r in fidelity.measure()}
    composite = measured["CompositeOverrideCategoryDetails"]
    assert len(composite.fields) == 11 and all(f.exact for f in composite.fields)
    status = measured["Update Redemption Status"]
    assert {f.name for f in status.fields if f.exact} == {"redemptionId", "statusCode", "backOrderDate"}
    assert all(f.exact for f in measured["Authorization"].fields if f.name != "cashBackAmount")


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("string 1-30", Fact("string", 1, 30)),
        ("string <=5 enum BCN|BAN", Fact("string", None, 5, frozenset({"BCN", "BAN"}))),
        ("string =4", Fact("string", 4, 4)),
        ("string >=0", Fact("string", None, None)),
        ("number", Fact("number")),
    ],
)
def test_facts_read_as_written(text, fact):
    assert Fact.parse(text) == fact


def found(**fields: object) -> Ours:
    values: dict[str, object] = {
        "types": frozenset({"string"}),
        "min_length": 1,
        "max_length": 10,
        "enum": None,
        "pattern": None,
        "marked": False,
    }
    values.update(fields)
    return Ours(**values)  # type: ignore[arg-type]


def test_each_kind_of_difference_is_caught():
    fact = Fact.parse("string 1-10")
    assert differences(fact, found(), lengths_known=True) == []
    assert differences(fact, found(max_length=12), lengths_known=True) == ["length 1-12, Mastercard 1-10"]
    assert differences(fact, found(pattern="^\\d+$"), lengths_known=True) == ["pattern ^\\d+$"]
    assert differences(fact, found(types=frozenset({"integer"})), lengths_known=True)[0].startswith("type")
    assert differences(fact, found(enum=frozenset({"A"})), lengths_known=True) == ["values A, Mastercard any"]
    assert differences(fact, found(max_length=12, pattern="x"), lengths_known=False) == []  # names and types only
