"""While the database cannot be reached, requests are answered 503 with Retry-After (the
phone keeps its queue and tries again), never 500 (found by `otagai drill --faults db`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from backend.api.app import create_app
from backend.api.drill.processes import FaultProxy
from backend.api.drill.runner import _through
from backend.core.actions import Registry
from tests.conftest import test_settings as settings_for
from tests.support.transport import GraphQLTransport


@pytest.fixture
def db_kind() -> str:
    """An unreachable database server: PostgreSQL behind a proxy that stops answering."""
    return "postgresql"


@dataclass
class Proxied:
    http: httpx.AsyncClient
    gql: GraphQLTransport
    proxy: FaultProxy


@pytest.fixture
async def proxied(db_url: str, registry: Registry, tmp_path: Path) -> AsyncIterator[Proxied]:
    proxy = FaultProxy(urlsplit(db_url).port or 5432)
    await proxy.start()
    app = create_app(settings_for(_through(db_url, proxy.port), tmp_path), registry)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://otagai.test") as http:
        yield Proxied(http, GraphQLTransport(http), proxy)
    await proxy.close()


async def test_requests_during_a_database_outage_are_503_with_retry_after(proxied: Proxied) -> None:
    token, _ = await proxied.gql.register("outage@example.jp", "停電 太郎")
    outage = asyncio.create_task(proxied.proxy.outage(3.0))
    await asyncio.sleep(0.1)

    signed_in = await proxied.http.post("/graphql", json={"query": "{ me { id } }"},
                                        headers={"Authorization": f"Bearer {token}"})
    anonymous = await proxied.http.post("/graphql", json={"query": "{ shelters(first: 1) { edges { node { id } } } }"})

    for response in (signed_in, anonymous):
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    await outage

    again = await proxied.http.post("/graphql", json={"query": "{ me { displayName } }"},
                                    headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 200
    assert again.json() == {"data": {"me": {"displayName": "停電 太郎"}}}
