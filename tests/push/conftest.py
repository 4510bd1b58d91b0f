"""Push tests: an app that accepts the local fake push service, residents with devices, a worker
driven step by step, and the fake push service on a loopback port."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from backend.api.app import create_app
from backend.core.actions import Registry
from tests.conftest import Api, test_settings
from tests.safety.community import server_clock
from tests.support.fake_push import FakePushService, running
from tests.support.passwords import cheap_password_hashing
from tests.support.transport import GraphQLTransport

__all__ = ["cheap_password_hashing", "server_clock"]


@pytest.fixture(autouse=True)
def _hash_cheaply(cheap_password_hashing: None) -> None:
    """Residents are registered by the dozen."""


@pytest.fixture
async def api(db_url: str, registry: Registry, tmp_path: Path) -> AsyncIterator[Api]:
    """The app as `otagai serve` runs it in tests: loopback push endpoints allowed, no worker
    (tests run the worker's steps themselves)."""
    settings = dataclasses.replace(test_settings(db_url, tmp_path), push_allow_loopback=True)
    app = create_app(settings, registry)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://otagai.test") as http:
            yield Api(app, http, GraphQLTransport(http))


@pytest.fixture
async def fake_push(api: Api) -> AsyncIterator[FakePushService]:
    keys = api.parts.domains["push"].keys
    async with running(FakePushService(expected_vapid_key=keys.application_server_key)) as service:
        yield service
