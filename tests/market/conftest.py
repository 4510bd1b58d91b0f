"""Market tests register many neighbours: hash their passwords cheaply; freeze the clock."""

from __future__ import annotations

import pytest

from tests.market.neighbours import server_clock
from tests.support.passwords import cheap_password_hashing

__all__ = ["cheap_password_hashing", "server_clock"]


@pytest.fixture(autouse=True)
def _hash_cheaply(cheap_password_hashing: None) -> None:
    """Every market test registers residents."""
