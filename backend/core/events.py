"""In-transaction domain events: one domain reacts to another's change without importing it.

Handlers run inside the same unit of work as the change (e.g. safety re-publishes a
person's status to their new household when board adds them to it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Handler = Callable[..., Awaitable[None]]
_HANDLERS: dict[str, list[Handler]] = {}

HOUSEHOLD_MEMBERS_CHANGED = "household.members_changed"  # person_ids: list[str]


def subscribe(event: str, handler: Handler) -> None:
    handlers = _HANDLERS.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


async def emit(session: AsyncSession, event: str, **payload: Any) -> None:
    for handler in _HANDLERS.get(event, []):
        await handler(session, **payload)
