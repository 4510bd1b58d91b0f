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
# incident_id: str, name: str, is_drill: bool
INCIDENT_OPENED = "safety.incident_opened"
# checkin_id, incident_id, subject_id (a person id; a user's person has the user's id), reporter_id,
# condition: str — a check-in someone made about another person
CHECKIN_BY_PROXY = "safety.checkin_by_proxy"
# post_id, association_id, urgency ("NORMAL" | "IMPORTANT" | "EMERGENCY"), title
BROADCAST_PUBLISHED = "board.broadcast_published"
# post_id, association_id, title
CIRCULAR_PUBLISHED = "board.circular_published"
# listing_id, owner_user_id, claimer_user_id, quantity, claim_id
LISTING_CLAIMED = "market.listing_claimed"


def subscribe(event: str, handler: Handler) -> None:
    handlers = _HANDLERS.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


async def emit(session: AsyncSession, event: str, **payload: Any) -> None:
    for handler in _HANDLERS.get(event, []):
        await handler(session, **payload)
