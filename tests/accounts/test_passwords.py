"""Passwords are kept only as argon2id hashes, with the library's recommended parameters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlmodel import col

from backend.accounts import passwords
from backend.accounts.models import User
from tests.conftest import Api

# Taken at import, before any fixture swaps in cheap test parameters.
PRODUCTION_HASHER = passwords._hasher


async def test_the_password_is_stored_as_an_argon2id_hash(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", PRODUCTION_HASHER)
    password = "correct horse 1"
    await api.gql.register("hanako@example.jp", password=password)

    async with api.parts.db.read_session() as session:
        stored = await session.scalar(sa.select(col(User.password_hash)))
        raw = (await session.execute(sa.text("SELECT * FROM account_user"))).one()

    assert stored is not None and stored.startswith("$argon2id$")
    assert PasswordHasher().verify(stored, password)
    assert not PasswordHasher().check_needs_rehash(stored)  # the recommended parameters
    assert not any(password in str(value) for value in raw)


async def test_two_accounts_with_the_same_password_get_different_hashes(api: Api) -> None:
    await api.gql.register("hanako@example.jp", password="same password")
    await api.gql.register("taro@example.jp", password="same password")

    async with api.parts.db.read_session() as session:
        hashes = (await session.scalars(sa.select(col(User.password_hash)))).all()

    assert len(set(hashes)) == 2
    assert all(h.startswith("$argon2id$") for h in hashes)
