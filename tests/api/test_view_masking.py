"""Unexpected errors reach clients only as "Internal server error" with a request id.

A tiny schema served by the production view (OtagaiGraphQL + RequestGuard) raises each kind
of error on purpose; `_public_error` is also checked on its own.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.routing import Route, WebSocketRoute

from backend.api.middleware import RequestGuard
from backend.api.schema import OtagaiSchema
from backend.api.view import OtagaiGraphQL, _public_error
from backend.core.actions import Registry
from backend.core.context import AppParts
from backend.core.db import Database
from backend.core.errors import HttpError, ValidationFailed
from backend.core.settings import Settings
from graphql import GraphQLError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # it prefers httpx2 for TestClient
    from starlette.testclient import TestClient

SECRET = "password=hunter2 at /srv/otagai/db.py line 42"


@strawberry.type
class Query:
    @strawberry.field
    def fine(self) -> str:
        return "ok"

    @strawberry.field
    def boom(self) -> str | None:
        raise RuntimeError(SECRET)

    @strawberry.field
    def refused(self) -> str:
        raise ValidationFailed("The display name must have 1 to 200 characters")

    @strawberry.field
    def busy(self) -> str:
        raise HttpError(503, "OVERLOADED", "The server is busy", headers={"Retry-After": "2"})


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def boom(self) -> AsyncGenerator[int, None]:
        raise RuntimeError(SECRET)
        yield 0  # pragma: no cover - makes this an async generator

    @strawberry.subscription
    async def later(self) -> AsyncGenerator[int, None]:
        yield 1
        raise RuntimeError(SECRET)


@pytest.fixture
def tiny_app(tmp_path: Path) -> Iterator[Starlette]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}", rate_limits=False)
    parts = AppParts(settings=settings, db=Database(settings.database_url), registry=Registry())
    view = OtagaiGraphQL(OtagaiSchema(query=Query, subscription=Subscription), parts)
    app = Starlette(routes=[Route("/graphql", view, methods=["GET", "POST"]), WebSocketRoute("/graphql", view)])
    app.add_middleware(RequestGuard, max_body_bytes=64 * 1024)
    yield app  # nothing here opens a database connection


@pytest.fixture
async def tiny(tiny_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=tiny_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://otagai.test") as http:
        yield http


async def test_an_unexpected_error_is_masked_with_the_request_id(
    tiny: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="otagai.graphql"):
        response = await tiny.post("/graphql", json={"query": "{ fine boom }"})

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"fine": "ok", "boom": None}
    [error] = body["errors"]
    assert error["message"] == "Internal server error"
    assert error["path"] == ["boom"]
    assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": response.headers["x-request-id"]}
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    [record] = [r for r in caplog.records if r.name == "otagai.graphql"]
    assert response.headers["x-request-id"] in record.getMessage()
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])


async def test_a_domain_error_keeps_its_message_and_code(tiny: httpx.AsyncClient) -> None:
    response = await tiny.post("/graphql", json={"query": "{ refused }"})

    [error] = response.json()["errors"]
    assert error["message"] == "The display name must have 1 to 200 characters"
    assert error["extensions"] == {"code": "VALIDATION"}


async def test_an_http_error_from_a_resolver_becomes_that_http_status(tiny: httpx.AsyncClient) -> None:
    response = await tiny.post("/graphql", json={"query": "{ fine busy }"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "OVERLOADED"


def _errors_of(frame: dict[str, Any]) -> list[dict[str, Any]]:
    """`next` frames carry {data, errors}; `error` frames carry the list of errors itself."""
    payload = frame.get("payload")
    if isinstance(payload, list):
        return payload
    return list((payload or {}).get("errors") or [])


def test_an_unexpected_error_in_a_subscription_is_masked_too(tiny_app: Starlette) -> None:
    with TestClient(tiny_app) as client:
        frames: list[dict[str, Any]] = []
        for query, count in (("subscription { boom }", 1), ("subscription { later }", 2)):
            with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
                ws.send_json({"type": "connection_init"})
                assert ws.receive_json()["type"] == "connection_ack"
                ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
                frames += [ws.receive_json() for _ in range(count)]

    errors = [error for frame in frames for error in _errors_of(frame)]
    assert len(errors) == 2, frames
    assert all(e["message"] == "Internal server error" for e in errors), errors
    assert "hunter2" not in str(frames)


def test_public_error_masks_only_unexpected_errors() -> None:
    unexpected = GraphQLError("boom", path=["me"], original_error=RuntimeError(SECRET))
    expected = GraphQLError("refused", path=["me"], original_error=ValidationFailed("Too long"))
    client_side = GraphQLError("Cannot query field 'nope' on type 'Query'.")

    masked = _public_error(unexpected, "req-1")
    kept = _public_error(expected, "req-1")

    assert (masked.message, masked.extensions, masked.path) == (
        "Internal server error", {"code": "INTERNAL_ERROR", "requestId": "req-1"}, ["me"],
    )
    assert SECRET not in str(masked.formatted)
    assert (kept.message, kept.extensions) == ("Too long", {"code": "VALIDATION"})
    assert _public_error(client_side, "req-1") is client_side
