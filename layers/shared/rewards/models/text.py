"""Strings that can carry a card number by mistake (docs/security.md, card numbers).

- ``MASKED``: names, descriptions and other free data; a card number in it is masked to
  ``****1234`` before anything stores, publishes, answers or logs it.
- ``NO_CARD_NUMBER``: identifiers the engine keys on or sends on (externalId, an email address); a
  card number in one is refused with a 400 that names the field, since a masked key would merge
  different requests.

Each goes last in its ``Annotated[str, Field(...), ...]``: the field's own constraints are checked
on what was sent, and stay in the published schema.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from rewards.cardnumbers import contains_card_number, mask_card_numbers


def _refuse_card_number(value: str) -> str:
    if contains_card_number(value):
        raise ValueError("must not contain a card number")
    return value


MASKED = AfterValidator(mask_card_numbers)
NO_CARD_NUMBER = AfterValidator(_refuse_card_number)
FreeText = Annotated[str, MASKED]
NoCardNumber = Annotated[str, NO_CARD_NUMBER]
