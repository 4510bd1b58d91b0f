"""The GraphQL-over-HTTP view: authentication, request limits and error masking.

- A bad, expired or revoked bearer token answers HTTP 401 before anything runs.
- `HttpError` raised by a resolver (401, 403, 413, 503) becomes that HTTP status.
- Domain errors keep their message and stable code; anything unexpected is logged with
  the request id and reaches the client only as "Internal server error".
- A client that accepts `application/graphql-response+json` (GraphQL over HTTP) gets that
  media type, and HTTP 400 without `data` when the request itself is bad (unparsable,
  invalid, or its variables do not coerce); `application/json` clients keep HTTP 200.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from backend.accounts import service as accounts
from backend.api.errors import public_error
from backend.core.context import AppParts, Context
from backend.core.db import is_transient
from backend.core.errors import HttpError, Unauthenticated, Unavailable
from graphql import GraphQLError


def _error_response(exc: HttpError, request_id: str) -> JSONResponse:
    body = {
        "errors": [
            {"message": exc.message, "extensions": {"code": exc.code, "requestId": request_id, **exc.extra}}
        ]
    }
    return JSONResponse(body, status_code=exc.status, headers={**exc.headers, "X-Request-Id": request_id})


log = logging.getLogger("otagai.http")
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def _prefers_graphql_response_json(scope: Scope) -> bool:
    accept = next((v.decode("latin-1").lower() for k, v in scope.get("headers", []) if k == b"accept"), "")
    if GRAPHQL_RESPONSE_JSON not in accept:
        return False
    return "application/json" not in accept or accept.index(GRAPHQL_RESPONSE_JSON) < accept.index("application/json")


def _with_media_type(send: Send) -> Send:
    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-type"]
            headers.append((b"content-type", f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8".encode()))
            message = {**message, "headers": headers}
        await send(message)

    return sending


class _RequestError(HttpError):
    """The request could not be executed at all (GraphQL over HTTP: 400, no `data`)."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(400, "BAD_REQUEST", "The GraphQL request is not valid")
        self.errors = errors


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use an Authorization: Bearer <token> header")
    return token.strip()


class OtagaiGraphQL(GraphQL):  # type: ignore[type-arg]
    def __init__(self, schema: Any, parts: AppParts) -> None:
        super().__init__(schema, graphql_ide=None, allowed_origins=())
        self.parts = parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request_id = scope.setdefault("state", {}).get("request_id") or uuid.uuid4().hex
        scope["state"]["request_id"] = request_id
        if _prefers_graphql_response_json(scope):
            scope["state"]["graphql_response_json"] = True
            send = _with_media_type(send)
        try:
            await super().__call__(scope, receive, send)
        except _RequestError as exc:
            body = {"errors": [error.formatted for error in exc.errors]}
            await JSONResponse(body, status_code=400, headers={"X-Request-Id": request_id})(scope, receive, send)
        except HttpError as exc:
            await _error_response(exc, request_id)(scope, receive, send)
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("database unavailable (%s): answered 503", type(exc).__name__)
            await _error_response(Unavailable(), request_id)(scope, receive, send)

    async def _identify(self, session_token: str | None) -> Any:
        if session_token is None:
            return None
        # Read-only: most requests need no write (and on SQLite must not queue for the write
        # lock); the expiry is extended in a write transaction at most once an hour.
        async with self.parts.db.read_session() as session:
            identity = await accounts.authenticate(session, session_token, touch=False)
        if identity is not None and identity.needs_touch:
            async with self.parts.db.unit_of_work() as uow:
                await accounts.touch_token(uow.session, identity.token_hash)
                await uow.commit()
        if identity is None:
            raise Unauthenticated("The token is not valid or has expired; sign in again")
        return identity

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
        context = Context(request=request, response=response, app=self.parts, request_id=request_id)
        if isinstance(request, Request):
            context.identity = await self._identify(_bearer(request.headers.get("authorization")))
            length = request.headers.get("content-length")
            context.body_bytes = int(length) if length and length.isdigit() else None
        return context

    def encode_json(self, data: object) -> str:
        """orjson, as strawberry's json.dumps but without \\u escapes: encoding a push's results
        or a pull page with the standard library was ~4 % of the server's CPU. Text, not
        bytes: WebSocket messages must go as text frames."""
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # what orjson cannot encode (an integer beyond 64 bits)
            return json.dumps(data, separators=(",", ":"))

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        try:
            context.identity = await self._identify(_bearer(header) if isinstance(header, str) else None)
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": exc.message}) from exc
        return await super().on_ws_connect(context)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        request_id = request.scope.get("state", {}).get("request_id", "-")
        if result.errors:
            for error in result.errors:
                if isinstance(error.original_error, HttpError):
                    raise error.original_error
            # Masked already by the PublicErrors extension; again here for errors raised
            # outside the operation (it is idempotent on masked errors).
            result.errors = [_public_error(error, request_id) for error in result.errors]
            before_execution = result.data is None and all(not error.path for error in result.errors)
            if before_execution and request.scope.get("state", {}).get("graphql_response_json"):
                raise _RequestError(list(result.errors))
        return await super().process_result(request, result)


def _public_error(error: GraphQLError, request_id: str) -> GraphQLError:
    return public_error(error, request_id)


def json_error(status: int, code: str, message: str) -> Response:
    return Response(
        json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}),
        status_code=status,
        media_type="application/json",
    )
