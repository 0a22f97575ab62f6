"""Card numbers: Luhn check, masking in free text, keyed hash, last four."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# -- spaced and dashed forms (PCI scanners' reading of a card number) ------------------------------
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card 4111 1111 1111 1111 declined", "card ****1111 declined"),
        ("card 4111-1111-1111-1111.", "card ****1111."),
        ("amex 3782 822463 10005 ok", "amex ****0005 ok"),
        ("ref 12 4111 1111 1111 1111", "ref 12 ****1111"),
        ("on 2026-12-02 at 07:35", "on 2026-12-02 at 07:35"),  # dates and times are not card numbers
        ("call +1 415 555 2671", "call +1 415 555 2671"),
    ],
)
def test_spaced_and_dashed_card_numbers_are_masked(text, masked):
    assert mask_card_numbers(text) == masked


def with_check_digit(body: str) -> str:
    """``body`` followed by the digit that makes it Luhn-valid."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


card_numbers = st.builds(with_check_digit, st.text(alphabet="0123456789", min_size=12, max_size=18))
separators = st.sampled_from(["", " ", "-"])


@st.composite
def written(draw: st.DrawFn) -> tuple[str, str]:
    """A card number, written in groups of random sizes with one kind of separator."""
    number = draw(card_numbers)
    separator = draw(separators)
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(number) - 1), max_size=5)))
    groups = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    return number, separator.join(groups)


@given(case=written(), before=st.text(alphabet="abc .,:", max_size=8), after=st.text(alphabet="xyz .,:", max_size=8))
def test_no_card_number_survives_masking_in_any_written_form(case, before, after):
    number, form = case
    masked = mask_card_numbers(f"{before}{form}{after}")
    bare = masked.replace(" ", "").replace("-", "")
    assert number not in bare
    assert number[:-4] not in bare  # at most the last four digits stay in clear
    assert f"****{number[-4:]}" in masked


@given(text=st.text(alphabet="0123456789 -abc", max_size=60))
def test_masking_is_idempotent_and_never_lengthens(text):
    once = mask_card_numbers(text)
    assert mask_card_numbers(once) == once
    assert len(once) <= len(text)
