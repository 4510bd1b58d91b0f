"""What safety plugs into the sync engine: its offline actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import events
from backend.core.actions import ActionSpec, AuditRecord, Registry
from backend.safety import checkin_batch, checkins, consent, proxies
from backend.safety.types import (
    CheckInInput,
    LinkPersonsInput,
    RegisterPersonInput,
    SafetyVisibilityInput,
)


async def _members_changed(session: AsyncSession, *, person_ids: list[str]) -> None:
    """Someone joined a household: it sees their name, and their status if they allow."""
    for person_id in person_ids:
        await proxies.publish_person(session, person_id)
        await consent.republish_person(session, person_id)


_PERSONAL = {"SafetyStatus": "personId", "CheckIn": "subjectId"}


def audit_pulled(user_id: str, pulled: list[tuple[str, dict[str, Any] | None]]) -> list[AuditRecord]:
    """One audit line per pulled page that carried other people's safety status."""
    others = sorted({
        str(data[_PERSONAL[kind]])
        for kind, data in pulled
        if kind in _PERSONAL and data and data.get(_PERSONAL[kind]) not in (None, user_id)
    })
    if not others:
        return []
    return [AuditRecord("safety.read.pull", "Person", None, {"people": others[:200], "count": len(others)})]


def register(registry: Registry) -> None:
    registry.add_read_auditor(audit_pulled)
    events.subscribe(events.HOUSEHOLD_MEMBERS_CHANGED, _members_changed)
    registry.add_action(ActionSpec(
        "checkIn", CheckInInput, checkins.check_in, prepare=checkin_batch.prepare,
        description="安否確認: report one's own or someone else's safety in an incident.",
    ))
    registry.add_action(ActionSpec(
        "setSafetyVisibility", SafetyVisibilityInput, consent.set_visibility,
        description="Choose who sees one's safety status.",
    ))
    registry.add_action(ActionSpec(
        "registerPerson", RegisterPersonInput, proxies.register_person,
        description="Register a person without an account (a household member, or at reception).",
    ))
    registry.add_action(ActionSpec(
        "linkPersons", LinkPersonsInput, proxies.link_persons,
        description="Staff: merge a duplicate record of the same person.",
    ))
