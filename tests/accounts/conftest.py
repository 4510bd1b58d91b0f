"""Accounts tests register many users: hash their passwords cheaply (tests/support/passwords.py)."""

from __future__ import annotations

import pytest

from tests.support.passwords import cheap_password_hashing

__all__ = ["cheap_password_hashing"]


@pytest.fixture(autouse=True)
def _hash_cheaply(cheap_password_hashing: None) -> None:
    """test_passwords.py puts the production hasher back where it matters."""
