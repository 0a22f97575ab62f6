"""Card numbers (BAN, primaryAccountNumber, accountNumber) are never stored or logged in clear:
a keyed HMAC-SHA256 for lookups plus the last four digits (PCI DSS 3.4.1, 3.5.1)."""

from __future__ import annotations

import hashlib
import hmac
import re

_DIGIT_RUN = re.compile(r"(?<!\d)\d{12,19}(?!\d)")


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


def mask_card_numbers(text: str) -> str:
    """Replace every 12-19 digit run that passes the Luhn check by ``****1234``."""

    def _mask(match: re.Match[str]) -> str:
        digits = match.group(0)
        return f"****{digits[-4:]}" if luhn_valid(digits) else digits

    return _DIGIT_RUN.sub(_mask, text)
