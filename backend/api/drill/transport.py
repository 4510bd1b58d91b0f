"""The drill's phones reach the server over HTTP with the shared operations of graphql/operations/."""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from backend.api.drill.outbox import Reply

OPERATIONS = Path(__file__).resolve().parents[3] / "graphql" / "operations"


@cache
def operation(name: str) -> str:
    matches = list(OPERATIONS.glob(f"*/{name}.graphql"))
    if len(matches) != 1:
        raise LookupError(f"expected one graphql/operations/*/{name}.graphql, found {matches}")
    return matches[0].read_text(encoding="utf-8")


class HttpTransport:
    """A network failure is an answer too (status 0): the outbox keeps its queue and retries."""

    def __init__(self, http: httpx.AsyncClient, latencies: list[float], errors: dict[str, int]) -> None:
        self.http = http
        self.latencies = latencies
        self.errors = errors

    async def execute(self, name: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        try:
            response = await self.http.post(
                "/graphql", headers=headers,
                json={"query": operation(name), "operationName": name, "variables": variables or {}},
            )
        except httpx.TransportError as exc:
            key = f"{name}: {type(exc).__name__}"
            self.errors[key] = self.errors.get(key, 0) + 1
            return Reply(0, httpx.Headers(), None)
        if name == "Push":
            self.latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            key = f"{name}: HTTP {response.status_code}"
            self.errors[key] = self.errors.get(key, 0) + 1
        try:
            body = response.json()
        except ValueError:
            body = None
        return Reply(response.status_code, response.headers, body)
