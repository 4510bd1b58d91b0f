"""argon2id password hashes; hashing runs off the event loop (it is slow on purpose)."""

from __future__ import annotations

import threading

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Each hash takes 64 MiB on purpose: a flood of sign-ins must not take the server's memory
# with it, so only a few hashes run at once and the rest wait their turn.
_AT_ONCE = threading.BoundedSemaphore(2)
# A hash of a random password, verified when the email is unknown so timing gives nothing away.
_DUMMY = _hasher.hash("otagai-no-such-user")


def _hash(password: str) -> str:
    with _AT_ONCE:
        return _hasher.hash(password)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        with _AT_ONCE:
            try:
                return _hasher.verify(stored_hash or _DUMMY, password) and stored_hash is not None
            except (VerificationError, InvalidHashError):
                return False

    return await anyio.to_thread.run_sync(_verify)
