"""Where each listed redemption's rebate stands, for GET /authorizations and GET /redemptions
(an extension field, docs/settlement.md): one batched read of the instructions of a page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from rewards.models.pwr import RebateState
from rewards.settlement.records import RebateInstruction


class RebateLookup(Protocol):
    def get_many(self, references: Iterable[str]) -> Mapping[str, RebateInstruction]: ...


def rebate_states(lookup: RebateLookup | None, references: Iterable[str | None]) -> dict[str, RebateState]:
    """The state of each rebate owed (references of entries that owe none are None). An owed rebate
    whose instruction is not recorded yet (the recorder follows the commit within seconds) is
    PENDING: owed and in no file. Without a lookup (use-case tests), nothing is shown."""
    wanted = list(dict.fromkeys(r for r in references if r is not None))
    if lookup is None or not wanted:
        return {}
    found = lookup.get_many(wanted)
    return {reference: state_of(found.get(reference)) for reference in wanted}


def state_of(instruction: RebateInstruction | None) -> RebateState:
    if instruction is None:
        return RebateState(status="PENDING")
    return RebateState(status=instruction.status.value, fileId=instruction.file_id, reason=instruction.reason)
