"""The reference point bank: one outcome per idempotency key whatever the network does, signatures
checked, and each fault switch doing what docs/point-bank.md says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from tools.point_bank.faults import Fault
from tools.point_bank.server import PointBank
from tools.point_bank.store import BankStore

from tests.keys import new_key, public_pem
from tests.point_bank_support import CONSUMER_KEY, balance, call, credit, debit, running_bank

pytestmark = pytest.mark.integration

KEY = new_key()
ROOT = Path(__file__).parents[2]


@pytest.fixture
def bank():
    with running_bank(KEY, {"A": "100"}) as running:
        yield running


def points(bank: PointBank, account: str = "A") -> Decimal | None:
    return bank.store.balance(account)


def test_a_repeated_request_gets_the_first_outcome_and_moves_points_once(bank):
    first = debit(KEY, bank, "A", "30", "k1")
    again = debit(KEY, bank, "A", "30", "k1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert points(bank) == Decimal(70) and len(bank.store.movements()) == 1


def test_points_compare_as_numbers_under_one_key(bank):
    assert debit(KEY, bank, "A", "30", "k1").status_code == 201
    assert debit(KEY, bank, "A", "30.00", "k1").status_code == 200


def test_a_refusal_is_the_keys_outcome_even_after_the_balance_rises(bank):
    refused = debit(KEY, bank, "A", "150", "big")
    assert refused.status_code == 409 and refused.json()["error"]["balance"] == "100"
    assert credit(KEY, bank, "A", "100", "top-up").status_code == 201
    again = debit(KEY, bank, "A", "150", "big")
    assert again.status_code == 409 and again.headers["Idempotent-Replayed"] == "true"
    assert points(bank) == Decimal(200)


def test_a_key_used_for_another_request_changes_nothing(bank):
    assert debit(KEY, bank, "A", "10", "k1").status_code == 201
    for other in (
        lambda: debit(KEY, bank, "A", "11", "k1"),
        lambda: debit(KEY, bank, "A", "10", "k1", reference="OTHER"),
        lambda: credit(KEY, bank, "A", "10", "k1", reference="REF-k1"),
    ):
        answer = other()
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "Idempotency-Key"
    assert points(bank) == Decimal(90) and len(bank.store.movements()) == 1


def test_an_unknown_account_records_nothing_under_the_key(bank):
    assert debit(KEY, bank, "B", "10", "k1").status_code == 404
    bank.store.open_account("B", Decimal(50))
    assert debit(KEY, bank, "B", "10", "k1").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 10, "reference": "r"}, "points"),
        ({"points": "0", "reference": "r"}, "points"),
        ({"points": "1e3", "reference": "r"}, "points"),
        ({"points": "10"}, "reference"),
        ({"points": "10", "reference": "r", "extra": 1}, "extra"),
        ({"points": "10", "reference": "r", "reason": "GIFT"}, "reason"),
    ],
)
def test_a_malformed_movement_names_the_field_and_changes_nothing(bank, body, field):
    answer = call(KEY, "POST", f"{bank.url}/accounts/A/debits", body, "k1")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field
    assert points(bank) == Decimal(100) and bank.store.movements() == []


def test_a_movement_without_an_idempotency_key_is_refused(bank):
    answer = call(KEY, "POST", f"{bank.url}/accounts/A/debits", {"points": "1", "reference": "r"})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "Idempotency-Key"
    assert not call(KEY, "POST", f"{bank.url}/accounts/A/debits", "not json", "k").ok


def test_concurrent_debits_never_overdraw_and_one_key_commits_once(bank):
    answers: list[int] = []

    def run(idem: str) -> None:
        answers.append(debit(KEY, bank, "A", "10", idem).status_code)

    threads = [threading.Thread(target=run, args=(f"k{i}",)) for i in range(15)]
    threads += [threading.Thread(target=run, args=("same",)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert points(bank) == Decimal(0)
    committed = [m for m in bank.store.movements() if m.committed]
    assert len(committed) == 10 and len({m.idempotency_key for m in bank.store.movements()}) == 16
    assert answers.count(201) == 10


# -- signatures ----------------------------------------------------------------------------------
def test_a_body_other_than_the_signed_one_is_refused(bank):
    from tools.local.signing import authorization_header

    url = f"{bank.url}/accounts/A/debits"
    header = authorization_header("POST", url, '{"points": "1", "reference": "r"}', CONSUMER_KEY, KEY)
    sent = '{"points": "99", "reference": "r"}'
    answer = requests.post(url, data=sent, headers={"Authorization": header, "Idempotency-Key": "k"}, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert points(bank) == Decimal(100)


def test_another_key_an_old_timestamp_and_a_replayed_nonce_are_refused(bank):
    assert balance(new_key(), bank, "A").json()["error"]["code"] == "INVALID_SIGNATURE"
    from tools.local.signing import authorization_header

    url = f"{bank.url}/accounts/A/balance"
    header = authorization_header("GET", url, None, CONSUMER_KEY, KEY)
    assert requests.get(url, headers={"Authorization": header}, timeout=5).status_code == 200
    again = requests.get(url, headers={"Authorization": header}, timeout=5)
    assert again.json()["error"]["code"] == "NONCE_REPLAYED"
    bank.clock = lambda: time.time() + 301
    assert balance(KEY, bank, "A").json()["error"]["code"] == "TIMESTAMP_OUT_OF_WINDOW"


# -- faults ----------------------------------------------------------------------------------------
def test_a_dropped_answer_committed_and_the_same_key_answers_it(bank):
    bank.faults.add(Fault("drop_after_commit", frozenset({"debit"})))
    with pytest.raises(requests.ConnectionError):
        debit(KEY, bank, "A", "30", "k1")
    assert points(bank) == Decimal(70)
    again = debit(KEY, bank, "A", "30", "k1")
    assert again.status_code == 200 and again.json()["balance"] == "70"


def test_a_timeout_after_commit_committed_once(bank):
    bank.faults.add(Fault("hang_after_commit", frozenset({"credit"}), seconds=1.0))
    with pytest.raises(requests.Timeout):
        credit(KEY, bank, "A", "5", "k1", timeout=0.3)
    assert points(bank) == Decimal(105)
    assert credit(KEY, bank, "A", "5", "k1").status_code == 200
    assert points(bank) == Decimal(105)


def test_a_500_after_commit_and_a_503_before_it(bank):
    bank.faults.add(Fault("error_after_commit", frozenset({"debit"})))
    assert debit(KEY, bank, "A", "10", "k1").status_code == 500
    assert points(bank) == Decimal(90)
    bank.faults.add(Fault("unavailable", frozenset({"debit"}), times=2))
    assert [debit(KEY, bank, "A", "10", "k2").status_code for _ in range(3)] == [503, 503, 201]
    assert points(bank) == Decimal(80)


def test_slow_and_duplicate_answers(bank):
    bank.faults.add(Fault("slow", frozenset({"balance"}), seconds=0.5))
    with pytest.raises(requests.Timeout):
        balance(KEY, bank, "A", timeout=0.2)
    assert balance(KEY, bank, "A").status_code == 200  # the fault was used once
    bank.faults.add(Fault("duplicate", frozenset({"debit"})))
    first = debit(KEY, bank, "A", "10", "k1")
    assert first.status_code == 200 and first.headers["Idempotent-Replayed"] == "true"
    assert points(bank) == Decimal(90) and len(bank.store.movements()) == 1


def test_a_fault_applies_to_its_operations_only_and_every_time_until_cleared(bank):
    bank.faults.add(Fault("unavailable", frozenset({"credit"}), times=None))
    assert balance(KEY, bank, "A").status_code == 200
    assert [credit(KEY, bank, "A", "1", "c").status_code for _ in range(3)] == [503] * 3
    bank.faults.clear()
    assert credit(KEY, bank, "A", "1", "c").status_code == 201


def test_the_admin_endpoint_seeds_accounts_and_sets_faults(bank):
    admin = bank.url.removesuffix("/point-bank/v1") + "/_admin"
    assert requests.put(f"{admin}/accounts/B", json={"balance": "40"}, timeout=5).status_code == 200
    assert requests.get(f"{admin}/accounts", timeout=5).json() == {"balances": {"A": "100", "B": "40"}}
    wrong = requests.post(f"{admin}/faults", json={"mode": "explode"}, timeout=5)
    assert wrong.status_code == 400 and "mode" in wrong.json()["error"]["message"]
    fault = {"mode": "unavailable", "operations": ["debit"], "times": 1}
    assert requests.post(f"{admin}/faults", json=fault, timeout=5).status_code == 200
    assert debit(KEY, bank, "B", "1", "k").status_code == 503
    assert debit(KEY, bank, "B", "1", "k").status_code == 201


def test_a_file_store_keeps_keys_and_balances(tmp_path: Path):
    path = tmp_path / "bank.sqlite"
    store = BankStore(path)
    store.open_account("A", Decimal(100))
    assert store.move("k1", "A", "DEBIT", Decimal(10), "r").status == 201
    store.close()
    reopened = BankStore(path)
    assert reopened.move("k1", "A", "DEBIT", Decimal(10), "r").replayed
    assert reopened.balance("A") == Decimal(90)
    reopened.close()


def test_the_command_serves_and_stops_by_itself(tmp_path: Path):
    pem = tmp_path / "engine.pem"
    pem.write_text(public_pem(KEY))
    with PointBank(BankStore(), {}) as probe:  # a free port, released before the command binds it
        port = probe.port
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.point_bank",
            "--public-key",
            str(pem),
            "--port",
            str(port),
            "--account",
            "A=12.5",
            "--serve-seconds",
            "3",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}{os.pathsep}{ROOT}"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}/point-bank/v1" in process.stdout.readline()
        answer = call(KEY, "GET", f"http://127.0.0.1:{port}/point-bank/v1/accounts/A/balance")
        assert json.loads(answer.text)["balance"] == "12.5"
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
