"""The typed per-request context every resolver receives.

Domains keep their long-lived parts (engines, brokers, limiters) in `parts`, under the
domain's name, and read them back through a typed accessor of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from backend.core.actions import Registry
from backend.core.db import Database
from backend.core.errors import Unauthenticated
from backend.core.identity import Identity
from backend.core.settings import Settings


@dataclass
class AppParts:
    """Built once when the app starts and shared by all requests."""

    settings: Settings
    db: Database
    registry: Registry
    domains: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    request: Request | WebSocket
    response: Any
    app: AppParts
    request_id: str
    identity: Identity | None = None
    body_bytes: int | None = None
    connection_params: dict[str, Any] | None = None
    loaders: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def settings(self) -> Settings:
        return self.app.settings

    def part(self, name: str) -> Any:
        return self.app.domains[name]

    def require_identity(self) -> Identity:
        if self.identity is None:
            raise Unauthenticated()
        return self.identity

    @property
    def client_ip(self) -> str:
        client = self.request.client
        return client.host if client else "unknown"
