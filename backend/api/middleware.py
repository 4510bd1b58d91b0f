"""ASGI middleware: request ids, the request body limit, security headers, and for every
request an access log line and the HTTP metrics."""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import metrics
from backend.core.logs import REQUEST_ID

access_log = logging.getLogger("otagai.access")
_ROUTE_GROUPS = ("/graphql", "/healthz", "/metrics", "/exports")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        (b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
         b"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
    ),
]


def _with_standard_headers(
    headers: list[tuple[bytes, bytes]], request_id: str, scope: Scope
) -> list[tuple[bytes, bytes]]:
    """One request id and the security headers on every response, whoever built it."""
    present = {name.lower() for name, _ in headers}
    if b"x-request-id" not in present:
        headers.append((b"x-request-id", request_id.encode()))
    headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
    if scope.get("scheme") == "https" and b"strict-transport-security" not in present:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


class _TooLarge(Exception):
    pass


def route_group(path: str) -> str:
    """A few fixed labels, never the raw path (ids in paths would make endless series)."""
    for prefix in _ROUTE_GROUPS:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    return "static"


def _observe(scope: Scope, status: int, started: float, request_id: str) -> None:
    seconds = time.perf_counter() - started
    route = route_group(scope.get("path", ""))
    metrics.HTTP_REQUESTS.labels(route, str(status)).inc()
    metrics.HTTP_SECONDS.labels(route).observe(seconds)
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(
            "%s %s %s", scope.get("method"), scope.get("path"), status,
            extra={"method": scope.get("method"), "path": scope.get("path"), "status": status,
                   "ms": round(seconds * 1000, 1), "requestId": request_id},
        )


class RequestGuard:
    """Gives every request an id, refuses bodies over the limit with 413, adds headers."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        began = time.perf_counter()
        status = 500  # if the app raises before answering, the server answers 500
        try:
            status = await self._guarded(scope, receive, send, request_id)
        finally:
            REQUEST_ID.reset(token)
            _observe(scope, status, began, request_id)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> int:
        """Answer the request; the response's status code."""
        limit = self.max_body_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._too_large(send, request_id, scope)
                return 413
        received = 0
        started = False
        status = 500

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                headers = _with_standard_headers(list(message.get("headers", [])), request_id, scope)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _TooLarge:
            if not started:
                await self._too_large(send, request_id, scope)
                return 413
        return status

    async def _too_large(self, send: Send, request_id: str, scope: Scope) -> None:
        body = json.dumps(
            {
                "errors": [
                    {
                        "message": f"The request body is larger than {self.max_body_bytes} bytes",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE", "maxBytes": self.max_body_bytes},
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": _with_standard_headers(
                    [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                    request_id,
                    scope,
                ),
            }
        )
        await send({"type": "http.response.body", "body": body})
