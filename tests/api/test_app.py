"""The app's plain routes: /healthz and the PWA at /."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import Api
from tests.support.databases import KINDS

PWA = Path(__file__).resolve().parents[2] / "pwa"


@pytest.fixture
def db_kind() -> str:
    """These routes do not depend on the kind of database: one kind is enough."""
    return KINDS[0]


async def test_healthz_answers_ok_once_the_database_answers(api: Api) -> None:
    response = await api.http.get("/healthz")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok"}


async def test_healthz_answers_503_when_the_database_does_not(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    monkeypatch.setattr(api.parts.db, "read_engine", unreachable)

    response = await api.http.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    await unreachable.dispose()


async def test_the_pwa_is_served_at_the_root(api: Api) -> None:
    response = await api.http.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == (PWA / "index.html").read_bytes()
    assert "<html" in response.text.lower()


async def test_an_unknown_path_is_404(api: Api) -> None:
    response = await api.http.get("/no-such-page.html")

    assert response.status_code == 404
