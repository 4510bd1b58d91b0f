"""Text no database can keep — a NUL (PostgreSQL refuses it, SQLite kept it) or a lone
surrogate (not UTF-8; JSON lets a client send "\\ud800") — is refused per action with
VALIDATION: the rest of the push is applied, the queue goes on, and nothing half-written
stays. Before, the NUL failed the whole push on PostgreSQL as a server error."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import Api
from tests.support.operations import operation


def _envelope(seq: int, display_name: str) -> dict[str, Any]:
    return {"mutationId": str(uuid.uuid4()), "seq": seq, "clientTime": datetime.now(UTC).isoformat(),
            "argsVersion": 1, "args": {"updateProfile": {"displayName": display_name}}}


async def _push(api: Api, token: str, client_id: str, mutations: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"query": operation("Push"), "operationName": "Push", "variables": {"input": {
        "clientId": client_id, "serverEpoch": None, "appVersion": "test", "sentAt": datetime.now(UTC).isoformat(),
        "mutations": mutations,
    }}}
    response = await api.http.post(  # escaped as JSON allows (\u0000, \ud800): sent as ASCII
        "/graphql", content=json.dumps(body, ensure_ascii=True),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json().get("data"), response.text
    push: dict[str, Any] = response.json()["data"]["push"]
    return push


@pytest.mark.parametrize("bad", ["鈴木\x00花子", "鈴木\ud800花子"], ids=["nul", "lone-surrogate"])
async def test_an_action_with_unstorable_text_is_refused_and_the_rest_applied(api: Api, bad: str) -> None:
    token, user_id = await api.user("text@example.jp", "花子")
    first = [_envelope(1, bad), _envelope(2, "鈴木 花子")]

    client_id = str(uuid.uuid4())
    push = await _push(api, token, client_id, first)
    again = await _push(api, token, client_id, first)  # the same envelopes again, as after a lost reply

    assert [(r["status"], r["code"]) for r in push["results"]] == [("REJECTED", "VALIDATION"), ("APPLIED", None)]
    assert "NUL" in push["results"][0]["message"]
    assert push["lastProcessedSeq"] == 2
    assert [r["status"] for r in again["results"]] == ["DUPLICATE", "DUPLICATE"]
    assert again["results"][0]["code"] == "VALIDATION"
    me = await api.gql.data("Me", {}, token)
    assert me["me"]["displayName"] == "鈴木 花子"
    assert me["me"]["id"] == user_id
