"""The authorization world registers accounts only to have them: hash their passwords cheaply."""

from __future__ import annotations

import pytest

from tests.support.passwords import cheap_password_hashing

__all__ = ["cheap_password_hashing"]


@pytest.fixture(autouse=True)
def _hash_cheaply(cheap_password_hashing: None) -> None:
    """See tests/support/passwords.py."""
