"""What clients see of errors, over HTTP and WebSocket alike.

- Request errors (syntax, validation, variables) have no path: the client's to see.
- Domain errors keep their message and stable code.
- `HttpError` keeps its original error so the HTTP view can answer with its status; a
  database that cannot be reached becomes one (503 UNAVAILABLE, with Retry-After).
- Anything else is logged with the request id and shown only as "Internal server error".
"""

from __future__ import annotations

import logging
from typing import Any

from strawberry.extensions import MaskErrors

from backend.core.db import is_transient
from backend.core.errors import DomainError, HttpError, Unavailable
from graphql import GraphQLError

log = logging.getLogger("otagai.graphql")


def public_error(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if original is None or _is_variable_error(error):
        return error
    if not isinstance(original, HttpError) and is_transient(original):
        log.warning("database unavailable in %s (%s)", ".".join(str(p) for p in error.path or []),
                    type(original).__name__)
        original = Unavailable()
    if isinstance(original, HttpError):
        return GraphQLError(
            original.message, error.nodes, error.source, error.positions, error.path,
            original_error=original, extensions={"code": original.code, **original.extra},
        )
    if isinstance(original, DomainError):
        return GraphQLError(
            original.message, error.nodes, error.source, error.positions, error.path,
            extensions={"code": original.code},
        )
    log.error(
        "unexpected error in %s [request %s]",
        ".".join(str(p) for p in error.path or []), request_id, exc_info=original,
    )
    return GraphQLError(
        "Internal server error", error.nodes, error.source, error.positions, error.path,
        extensions={"code": "INTERNAL_ERROR", "requestId": request_id},
    )


def _is_variable_error(error: GraphQLError) -> bool:
    """A variable that did not coerce (a wrong type, a malformed DateTime): the client's input.

    graphql-core words these "Variable '$name' got invalid value …" and gives them no path;
    a subscription's own failures have no path either, so the wording is what tells them apart.
    """
    return error.path is None and error.message.startswith("Variable '$")


class PublicErrors(MaskErrors):
    """Applies `public_error` to every result, streamed subscription results included."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        context: Any = self.execution_context.context
        request_id = str(getattr(context, "request_id", None) or "-")
        return [public_error(error, request_id) for error in errors]
