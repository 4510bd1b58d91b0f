"""Cheap argon2id parameters for tests that register many accounts.

Production hashing is slow on purpose (~0.3 s a hash on a small machine); suites that only
need accounts to exist use this fixture. The stored-hash test keeps the real parameters.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from backend.accounts import passwords


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # still argon2id
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY", hasher.hash("otagai-no-such-user"))
    yield
