"""Identifiers: UUIDv4 for entities, UUIDv7 (time-ordered) for mutation ids and epochs."""

from __future__ import annotations

import os
import re
import time
import uuid

# The form every client sends; anything else is left to uuid.UUID, which also takes braces,
# a urn: prefix or no hyphens. A check-in push asks this of every id it carries.
_CANONICAL = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def new_id() -> str:
    return str(uuid.uuid4())


def uuid7() -> str:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def is_uuid(value: str) -> bool:
    if isinstance(value, str) and _CANONICAL.fullmatch(value):
        return True
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True
