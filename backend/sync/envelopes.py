"""Plain data for the push protocol, independent of GraphQL."""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.core.errors import HttpError

APPLIED = "APPLIED"
DUPLICATE = "DUPLICATE"
REJECTED = "REJECTED"
CONFLICT_RESOLVED = "CONFLICT_RESOLVED"
NOT_PROCESSED = "NOT_PROCESSED"

STATE_OK = "OK"
STATE_RESET = "CLIENT_STATE_RESET"


@dataclass(frozen=True)
class Envelope:
    mutation_id: str
    seq: int
    client_time: datetime
    args_version: int
    action: str
    args: Any  # the typed input of the action


@dataclass(frozen=True)
class Batch:
    client_id: str
    server_epoch: str | None
    app_version: str
    sent_at: datetime
    envelopes: list[Envelope]


@dataclass
class Result:
    mutation_id: str
    seq: int
    status: str
    code: str | None = None
    message: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    version: int | None = None
    change_seq: int | None = None


@dataclass
class PushReply:
    results: list[Result]
    last_processed_seq: int
    server_epoch: str
    server_time: datetime
    clock_offset_ms: float
    retry_after_ms: int | None = None
    state: str = STATE_OK
    touched: set[str] = field(default_factory=set)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_SCALARS = frozenset({int, float, bool, type(None)})  # exact types: an enum member is not one


def _storable(value: str) -> bool:
    """False when no database could keep the text: a NUL (U+0000, refused by PostgreSQL,
    kept by SQLite) or a surrogate code point without its pair (not UTF-8)."""
    if "\x00" in value:
        return False
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def _replaced(value: str) -> str:
    return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in value)


def _plain(value: Any, refused: list[str]) -> Any:
    kind = type(value)
    if kind is str:  # most values: checked first, a push converts thousands
        if _storable(value):
            return value
        refused.append(value)
        return _replaced(value)
    if kind in _SCALARS:
        return value
    if hasattr(kind, "__dataclass_fields__") and not isinstance(value, type):
        out = {}
        for name in _field_names(kind):
            item = getattr(value, name)
            if item is not None and _is_set(item):
                out[name] = _plain(item, refused)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v, refused) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, refused) for k, v in value.items()}
    return value


def _is_set(value: Any) -> bool:
    return type(value).__name__ != "UnsetType"


def plain_args(action: str, args: Any) -> tuple[dict[str, Any], bool]:
    """The action's arguments as JSON-ready data: stored for audit and hashed for replays;
    and whether all their text can be stored (see `_storable`; where it cannot, the data
    holds U+FFFD in its place and the action is refused)."""
    refused: list[str] = []
    return {action: _plain(args, refused)}, not refused


def args_hash(args_version: int, plain: dict[str, Any]) -> str:
    text = json.dumps([args_version, plain], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


MAX_ACTIONS = 100


def check_batch_size(count: int, body_bytes: int | None, max_bytes: int) -> None:
    if count > MAX_ACTIONS or (body_bytes is not None and body_bytes > max_bytes):
        raise HttpError(
            413,
            "BATCH_TOO_LARGE",
            f"A push carries at most {MAX_ACTIONS} actions and {max_bytes} bytes",
            extra={"maxActions": MAX_ACTIONS, "maxBytes": max_bytes},
        )
