"""Card numbers (BAN, primaryAccountNumber, accountNumber) are never stored or logged in clear:
a keyed HMAC-SHA256 for lookups plus the last four digits (PCI DSS 3.4.1, 3.5.1).

A card number that arrives anywhere else, in a free-text field or a log line, is recognised as
PCI scanners do: 13 to 19 digits that pass the Luhn check, written as one run or in groups
separated by single spaces or dashes (``4111 1111 1111 1111``, ``4111-1111-1111-1111``). It is
masked to ``****`` and its last four digits.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MIN_DIGITS, MAX_DIGITS = 13, 19
# Digits in groups joined by one space or dash; no digit right before or after the whole run.
_DIGIT_GROUPS = re.compile(r"(?<![\d])\d+(?:[ -]\d+)*(?![\d])")
_SEPARATOR = re.compile(r"[ -]")


def card_hash(secret: bytes, card_number: str) -> str:
    return hmac.new(secret, card_number.encode(), hashlib.sha256).hexdigest()


def last_four(card_number: str) -> str:
    return card_number[-4:]


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS and digits.isdigit() and luhn_valid(digits)


def _covered(groups: list[str]) -> list[bool]:
    """Which digit groups of a run belong to some card number made of whole consecutive groups."""
    covered = [False] * len(groups)
    for start in range(len(groups)):
        digits = ""
        for end in range(start, len(groups)):
            digits += groups[end]
            if len(digits) > MAX_DIGITS:
                break
            if is_card_number(digits):
                covered[start : end + 1] = [True] * (end + 1 - start)
    return covered


def _mask_run(match: re.Match[str]) -> str:
    """Each stretch of covered groups (with the separators inside it) becomes ``****`` + its last
    four digits, so no card number keeps more than four digits in clear."""
    text = match.group(0)
    groups = _SEPARATOR.split(text)
    covered = _covered(groups)
    if not any(covered):
        return text
    separators = [*_SEPARATOR.findall(text), ""]
    pieces: list[str] = []
    stretch = ""
    for index, group in enumerate(groups):
        if not covered[index]:
            pieces.append(group + separators[index])
            continue
        stretch += group
        if index + 1 == len(groups) or not covered[index + 1]:  # the stretch ends here
            pieces.append(f"****{stretch[-4:]}" + separators[index])
            stretch = ""
    return "".join(pieces)


def mask_card_numbers(text: str) -> str:
    """Every card number in ``text`` (one run, or groups joined by spaces or dashes) as ``****1234``."""
    if len(text) < MIN_DIGITS:
        return text
    return _DIGIT_GROUPS.sub(_mask_run, text)


def contains_card_number(text: str) -> bool:
    return mask_card_numbers(text) != text
