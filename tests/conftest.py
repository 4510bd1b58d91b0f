"""Fixtures: every database test runs on SQLite and on PostgreSQL, each in a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from backend.api.app import create_app
from backend.api.registry import build_registry
from backend.core.actions import Registry
from backend.core.context import AppParts
from backend.core.settings import Settings
from tests.support import test_actions
from tests.support.client import OutboxClient
from tests.support.databases import KINDS, DatabaseFactory
from tests.support.transport import GraphQLTransport


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.cleanup()


@pytest.fixture(params=KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(databases: DatabaseFactory, db_kind: str) -> Iterator[str]:
    url = databases.fresh(db_kind)
    yield url
    databases.drop(url)


@pytest.fixture
def registry() -> Registry:
    """The product's registry plus the test-only actions."""
    registry = build_registry()
    test_actions.register(registry)
    return registry


@dataclass
class Api:
    app: Starlette
    http: httpx.AsyncClient
    gql: GraphQLTransport

    @property
    def parts(self) -> AppParts:
        parts: AppParts = self.app.state.parts
        return parts

    async def user(self, email: str, name: str = "住民") -> tuple[str, str]:
        return await self.gql.register(email, name)

    async def device(self, email: str, name: str = "住民") -> OutboxClient:
        token, user_id = await self.user(email, name)
        return OutboxClient(self.gql, token, user_id)


def test_settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, rate_limits=False)


@asynccontextmanager
async def serving(db_url: str, registry: Registry, data_dir: Path) -> AsyncIterator[Api]:
    """The app on this database, running (its lifespan) and called in-process."""
    app = create_app(test_settings(db_url, data_dir), registry)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://otagai.test") as http:
            yield Api(app, http, GraphQLTransport(http))


@pytest.fixture
async def api(db_url: str, registry: Registry, tmp_path: Path) -> AsyncIterator[Api]:
    async with serving(db_url, registry, tmp_path) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: playwright's sync API keeps an event loop running in the main
    thread for the whole session, which the asyncio tests cannot share."""
    items.sort(key=lambda item: "tests/pwa/" in item.nodeid.replace("\\", "/"))
