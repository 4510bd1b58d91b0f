"""The `changes` subscription over graphql-transport-ws: a poke after one's own push.

The token travels in the connection_init payload (API.md "Auth and membership").
Starlette's TestClient is synchronous: these tests are plain functions.
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.websockets import WebSocketDisconnect

from backend.api.app import create_app
from backend.core.actions import Registry
from backend.core.settings import Settings
from tests.support.operations import operation

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # it prefers httpx2 for TestClient
    from starlette.testclient import TestClient

PROTOCOL = ["graphql-transport-ws"]


@pytest.fixture
def app(db_url: str, registry: Registry, tmp_path: Path) -> Starlette:
    return create_app(Settings(database_url=db_url, data_dir=tmp_path, rate_limits=False), registry)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def gql(client: TestClient, name: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", json={"query": operation(name), "operationName": name, "variables": variables},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def register(client: TestClient, email: str) -> tuple[str, str]:
    data = gql(client, "Register", {"input": {"email": email, "password": "correct horse 1", "displayName": "花子"}})
    return data["register"]["token"], data["register"]["user"]["id"]


def rename(client: TestClient, token: str, name: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    batch = {
        "clientId": str(uuid.uuid4()), "serverEpoch": None, "appVersion": "test-1", "sentAt": now,
        "mutations": [{"mutationId": str(uuid.uuid4()), "seq": 1, "clientTime": now, "argsVersion": 1,
                       "args": {"updateProfile": {"displayName": name}}}],
    }
    result: dict[str, Any] = gql(client, "Push", {"input": batch}, token)["push"]["results"][0]
    return result


def wait_for_subscribers(app: Starlette, count: int) -> None:
    """The subscription reaches the broker asynchronously after `subscribe`; a push sent
    before that would poke nobody. (Reads the broker's private set: there is no public one.)"""
    broker = app.state.parts.domains["sync"].broker
    deadline = time.monotonic() + 5
    while len(broker._subscribers) < count:
        assert time.monotonic() < deadline, "the subscription never reached the poke broker"
        time.sleep(0.01)


def test_a_subscriber_is_poked_after_their_own_push_changes_their_profile(
    app: Starlette, client: TestClient
) -> None:
    token, user_id = register(client, "hanako@example.jp")

    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json({"id": "s1", "type": "subscribe",
                      "payload": {"query": operation("Changes"), "operationName": "Changes"}})
        wait_for_subscribers(app, 1)

        result = rename(client, token, "鈴木 花子")
        frame = ws.receive_json()
        ws.send_json({"id": "s1", "type": "complete"})

    assert (result["status"], result["entityType"], result["entityId"]) == ("APPLIED", "Profile", user_id)
    assert frame["type"] == "next" and frame["id"] == "s1"
    poke_time = datetime.fromisoformat(frame["payload"]["data"]["changes"]["at"])
    assert abs((poke_time - datetime.now(UTC)).total_seconds()) < 60


def test_a_connection_init_with_a_bad_token_is_rejected(client: TestClient) -> None:
    for header in ("Bearer otg_not_a_real_token", "Basic aGFuYWtvOnB3"):
        with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
            ws.send_json({"type": "connection_init", "payload": {"Authorization": header}})
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
                ws.receive_json()  # anything but a close fails below
        assert closed.value.code == 4403, header


def test_an_anonymous_subscription_gets_an_error_instead_of_pokes(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json({"id": "s1", "type": "subscribe",
                      "payload": {"query": operation("Changes"), "operationName": "Changes"}})
        frame = ws.receive_json()

    assert frame["id"] == "s1"
    assert frame["payload"]["data"] is None
    [error] = frame["payload"]["errors"]
    assert "Sign-in required" in error["message"]
