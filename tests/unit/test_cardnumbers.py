"""Card numbers: Luhn check, masking in free text, keyed hash, last four."""

from __future__ import annotations

import pytest

from rewards.cardnumbers import card_hash, last_four, luhn_valid, mask_card_numbers

pytestmark = pytest.mark.unit

VALID = ["5555555555554444", "5105105105105100", "4111111111111111", "378282246310005", "2223003122003222"]


@pytest.mark.parametrize("number", VALID)
def test_luhn_accepts_valid_card_numbers(number):
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["5555555555554445", "4111111111111112", "1234567890123456"])
def test_luhn_refuses_a_wrong_check_digit(number):
    assert not luhn_valid(number)


def test_luhn_detects_a_swap_of_adjacent_digits():
    assert not luhn_valid("5105105105105010")  # 5105105105105100 with its 1 and 0 swapped


def test_valid_card_number_in_text_is_masked_to_last_four():
    text = "charge to 5555555555554444 declined; retry 4111111111111111."
    masked = mask_card_numbers(text)
    assert masked == "charge to ****4444 declined; retry ****1111."
    assert "5555555555554444" not in masked


def test_non_luhn_digit_run_is_kept():
    text = "order 1234567890123456 at 20240501101500"
    assert mask_card_numbers(text) == text


def test_digit_runs_outside_12_to_19_digits_are_kept():
    eleven = "00000000000"  # Luhn valid, too short to be a card number
    twenty = "0" * 20  # Luhn valid, too long
    assert luhn_valid(eleven) and luhn_valid(twenty)
    assert mask_card_numbers(f"{eleven} {twenty}") == f"{eleven} {twenty}"


def test_number_inside_json_is_masked():
    assert mask_card_numbers('{"accountNumber":"5105105105105100"}') == '{"accountNumber":"****5100"}'


def test_keyed_hash_is_stable_and_differs_by_key_and_number():
    first = card_hash(b"key-one", "5555555555554444")
    assert first == card_hash(b"key-one", "5555555555554444")
    assert first != card_hash(b"key-two", "5555555555554444")
    assert first != card_hash(b"key-one", "5105105105105100")
    assert len(first) == 64 and int(first, 16) >= 0  # hex SHA-256, not the number
    assert "5555555555554444" not in first


def test_last_four():
    assert last_four("5555555555554444") == "4444"
