from __future__ import annotations

from collections.abc import Iterator

import pytest
from tools import moto_lock


@pytest.fixture(autouse=True, scope="session")
def serialized_moto() -> None:
    """moto is not thread-safe; serialize its request handling for the whole suite."""
    moto_lock.install()


@pytest.fixture(autouse=True)
def item_level_transactions(serialized_moto: None) -> Iterator[None]:
    """Transactions roll back the touched items only, so their cost does not grow with the table."""
    with moto_lock.item_level_transactions():
        yield
