"""How test clients reach the server: in-process (ASGI) or a real server over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from backend.api.drill.outbox import Reply
from tests.support.operations import operation

__all__ = ["GraphQLTransport", "Reply"]


class GraphQLTransport:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(
        self, name: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql",
            json={"query": operation(name), "operationName": name, "variables": variables or {}},
            headers=headers,
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        return Reply(response.status_code, response.headers, body)

    async def data(self, name: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        """The `data` of a successful call; fails the test on HTTP or GraphQL errors."""
        reply = await self.execute(name, variables, token)
        assert reply.status == 200, (reply.status, reply.body)
        assert not reply.body.get("errors"), reply.body
        return reply.body["data"]

    async def register(self, email: str, name: str = "住民", password: str = "correct horse 1") -> tuple[str, str]:
        data = await self.data(
            "Register", {"input": {"email": email, "password": password, "displayName": name}}
        )
        assert data["register"]["__typename"] == "AuthSuccess", data
        return data["register"]["token"], data["register"]["user"]["id"]
