"""Safety tests register many residents: hash their passwords cheaply (tests/support/passwords.py).
`server_clock` freezes and moves the server's clock (tests/safety/community.py)."""

from __future__ import annotations

import pytest

from tests.safety.community import server_clock
from tests.support.passwords import cheap_password_hashing

__all__ = ["cheap_password_hashing", "server_clock"]


@pytest.fixture(autouse=True)
def _hash_cheaply(cheap_password_hashing: None) -> None:
    """A module that needs the real parameters overrides `cheap_password_hashing`."""
