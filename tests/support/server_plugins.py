"""Plugins (OTAGAI_PLUGINS) for real server processes started by the tests.

`cheap_password_hashing` is the in-process fixture of the same purpose (tests/support/
passwords.py) for a subprocess: scenarios register many accounts against a real server, and
the production argon2 parameters (~0.3 s a hash) would dominate their run time.
"""

from __future__ import annotations

from argon2 import PasswordHasher

from backend.accounts import passwords
from backend.core.actions import Registry


def cheap_password_hashing(registry: Registry) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # still argon2id
    passwords._hasher = hasher
    passwords._DUMMY = hasher.hash("otagai-no-such-user")
