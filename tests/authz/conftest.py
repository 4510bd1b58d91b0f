"""The authorization world registers accounts only to have them: hash their passwords cheaply.
It is built once per database kind; each cell runs on a copy (cells change what they touch)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.core.actions import Registry
from tests.authz.world import World, build_world
from tests.conftest import serving
from tests.support.databases import DatabaseFactory
from tests.support.passwords import cheap_password_hashing

__all__ = ["cheap_password_hashing"]


@pytest.fixture(autouse=True)
def _hash_cheaply(cheap_password_hashing: None) -> None:
    """See tests/support/passwords.py."""


@pytest.fixture(scope="session")
def built_worlds() -> dict[str, tuple[str, Path, World]]:
    """Database kind → the database and data directory a world was built in, and the world."""
    return {}


@pytest.fixture
async def world(
    databases: DatabaseFactory, db_kind: str, registry: Registry, tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path, built_worlds: dict[str, tuple[str, Path, World]],
) -> AsyncIterator[World]:
    """The world of tests/authz/world.py on a copy of its database and files, with copies of its
    devices: building it takes most of a second, and there are over a hundred cells."""
    if db_kind not in built_worlds:
        url, data = databases.fresh(db_kind), tmp_path_factory.mktemp("world")
        async with serving(url, registry, data) as api:
            built_worlds[db_kind] = (url, data, await build_world(api))
    source, source_data, built = built_worlds[db_kind]
    url, data = databases.copy(source, db_kind), tmp_path / "data"
    shutil.copytree(source_data, data)
    try:
        async with serving(url, registry, data) as api:
            yield built.on(api)
    finally:
        databases.drop(url)
