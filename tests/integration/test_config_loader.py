"""The configuration loader command (tools.config_loader) against the moto stack."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tools import target
from tools.config_loader import InvalidDocument, main, parse_document

from rewards import runtime
from tests.support import DEMO_CONFIG, PAN_KEY_PARAM, body, invoke, load_config, load_event

DEMO: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text())


@pytest.fixture(autouse=True)
def in_process_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """--local-prefix means make run's moto server; here the tests' in-process moto answers instead."""
    monkeypatch.setattr(target, "LOCAL_ENDPOINT", None)


def run_loader(stack: Any, document: dict[str, Any] | str, tmp_path: Path, *extra: str) -> int:
    path = tmp_path / "config.yaml"
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return main([str(path), "--local-prefix", "test", "--pan-key-param", PAN_KEY_PARAM, *extra])


def all_items(stack: Any) -> dict[str, list[dict[str, Any]]]:
    dynamodb = stack.client("dynamodb")
    return {name: dynamodb.scan(TableName=name)["Items"] for name in (stack.ledger_table, stack.config_table)}


def item_count(stack: Any) -> int:
    return sum(len(items) for items in all_items(stack).values())


def demo_with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(DEMO)
    change(document)
    return document


def pool_balance(pool_id: str) -> str:
    pool = runtime.ledger().pool(pool_id)
    assert pool is not None
    return str(pool.balance)


def test_valid_document_loads_through_the_command(stack, tmp_path, capsys):
    assert run_loader(stack, DEMO, tmp_path) == 0

    counts = json.loads(capsys.readouterr().out)
    assert counts["programs"] == len(DEMO["programs"]) and counts["clients"] == len(DEMO["clients"])
    assert counts["accounts"] == sum(len(user["accounts"]) for user in DEMO["users"])
    program = runtime.config_store().program("PWRDEMO")
    assert program is not None and str(program.filters.minPurchaseAmount) == "5.00"
    assert pool_balance("HH-DEMO-1") == "12000" and pool_balance("RANACCAROL0001") == "7650"
    # card numbers are stored only as keyed hashes (plus the last four)
    dump = json.dumps(all_items(stack))
    assert "5555555555554444" not in dump and "5200828282828210" not in dump
    profile = body(invoke("RedeemersFunction", load_event("apigw-search-redeemer")))
    assert profile["userId"] == "RANACALICE0001"


def test_check_flag_validates_and_writes_nothing(stack, tmp_path, capsys):
    assert run_loader(stack, DEMO, tmp_path, "--check") == 0
    assert "valid" in capsys.readouterr().out
    assert item_count(stack) == 0


def both_mcc_lists(document: dict[str, Any]) -> None:
    document["programs"][0]["filters"]["mcc"] = {"include": ["5411"], "exclude": ["6011"]}


def both_country_lists(document: dict[str, Any]) -> None:
    document["programs"][0]["filters"]["merchantCountry"] = {"include": ["USA"], "exclude": ["FRA"]}


def account_in_unknown_program(document: dict[str, Any]) -> None:
    document["users"][2]["accounts"][0]["programId"] = "NOSUCHPROG"


def client_with_unknown_program(document: dict[str, Any]) -> None:
    document["clients"][0]["programIds"] = ["PWRDEMO", "NOSUCHPROG"]


def household_in_unknown_program(document: dict[str, Any]) -> None:
    document["households"].append({"householdId": "HH-ORPHAN", "programId": "NOSUCHPROG", "openingBalance": 0})


def unknown_household(document: dict[str, Any]) -> None:
    document["users"][0]["accounts"][0]["householdId"] = "HH-NOPE"


def tiers_not_ascending(document: dict[str, Any]) -> None:
    document["programs"][0]["baseConversion"]["tiers"].reverse()


def negative_opening_balance(document: dict[str, Any]) -> None:
    document["households"][0]["openingBalance"] = -1


def bad_card_number(document: dict[str, Any]) -> None:
    document["users"][0]["accounts"][0]["cardNumber"] = "5555-4444"


def duplicate_account(document: dict[str, Any]) -> None:
    document["users"][1]["accounts"][0]["accountId"] = "RANACALICE0001"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (both_mcc_lists, "programs.0.filters.mcc"),
        (both_country_lists, "programs.0.filters.merchantCountry"),
        (account_in_unknown_program, "NOSUCHPROG"),
        (client_with_unknown_program, "NOSUCHPROG"),
        (household_in_unknown_program, "NOSUCHPROG"),
        (unknown_household, "HH-NOPE"),
        (tiers_not_ascending, "programs.0.baseConversion"),
        (negative_opening_balance, "households.0.openingBalance"),
        (bad_card_number, "users.0.accounts.0.cardNumber"),
        (duplicate_account, "RANACALICE0001"),
    ],
)
def test_invalid_document_is_refused_naming_the_problem_and_nothing_is_written(stack, tmp_path, capsys, change, named):
    document = demo_with(change)
    with pytest.raises(InvalidDocument, match=named.replace(".", r"\.")):
        parse_document(yaml.safe_dump(document))

    assert run_loader(stack, document, tmp_path) == 1

    assert named in capsys.readouterr().err
    assert item_count(stack) == 0


def test_household_in_another_program_than_its_accounts_is_refused():
    def move_household(document: dict[str, Any]) -> None:
        document["programs"].append({**document["programs"][0], "programId": "OTHERPROG"})
        document["households"][0]["programId"] = "OTHERPROG"

    with pytest.raises(InvalidDocument, match="household is in another program"):
        parse_document(yaml.safe_dump(demo_with(move_household)))


def test_not_yaml_is_refused(stack, tmp_path, capsys):
    assert run_loader(stack, "programs: [unclosed", tmp_path) == 1
    assert "not valid YAML" in capsys.readouterr().err
    assert item_count(stack) == 0


def test_reloading_keeps_ledger_state_and_preferences_but_updates_static_fields(demo, tmp_path):
    response = invoke("AuthorizationsFunction", load_event("apigw-post-authorization-sync"))
    assert body(response)[0]["responseReasonId"] == "60"
    assert pool_balance("HH-DEMO-1") == "2000"

    def suspend_carol(document: dict[str, Any]) -> None:
        document["users"][2]["accounts"][0]["status"] = "ON_HOLD"

    assert run_loader(demo, demo_with(suspend_carol), tmp_path) == 0

    assert pool_balance("HH-DEMO-1") == "2000"  # not reset to the opening balance of 12,000
    totals = runtime.ledger().pool_ledger("HH-DEMO-1")
    assert totals.pool.openingBalance == 12000 and totals.total_debits == 10000
    alice = runtime.ledger().account("RANACALICE0001")
    assert alice is not None and alice.preferences.redemptionFrequency.value == "OFF"  # SNGL was used up
    carol = body(invoke("RedeemersFunction", _profile_event("RANACCAROL0001")))
    assert carol["accountInfo"]["accountStatus"] == "4"  # ON_HOLD


def test_loading_the_same_document_twice_is_idempotent(demo):
    before = all_items(demo)
    load_config(demo)
    after = all_items(demo)
    assert {k: sorted(map(json.dumps, v)) for k, v in after.items()} == {
        k: sorted(map(json.dumps, v)) for k, v in before.items()
    }


def _profile_event(account_id: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("apigw-get-redeemer"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/redeemers/{account_id}"
    event["pathParameters"] = {"id": account_id}
    return event
