"""Incidents and drills: ward admins open and close them; an open incident enables check-ins.

Closing a drill purges its personal data at once; a real incident's personal data is purged
PURGE_AFTER its close (PRODUCT.md: personal data of an incident is purged on a schedule).
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import audience, events, feed
from backend.core.clock import utcnow
from backend.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from backend.core.identity import Identity
from backend.core.ids import is_uuid, new_id
from backend.safety.models import CheckIn, Incident, SafetyStatus

PURGE_AFTER = timedelta(days=90)


class IncidentClosed(DomainError):
    code = "INCIDENT_CLOSED"


def incident_data(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "name": incident.name,
        "isDrill": incident.is_drill,
        "openedAt": incident.opened_at.isoformat(),
        "closedAt": incident.closed_at.isoformat() if incident.closed_at else None,
    }


def _record(session: AsyncSession, incident: Incident) -> None:
    feed.record_change(
        session, entity_type="Incident", entity_id=incident.id, version=incident.version,
        data=incident_data(incident), audiences={audience.WARD},
    )


def _require_admin(actor: Identity | None) -> None:
    if actor is not None and not actor.is_ward_admin:
        raise Forbidden("Only ward administrators open and close incidents")


async def open_incident(
    session: AsyncSession, *, actor: Identity | None, name: str, is_drill: bool
) -> Incident:
    _require_admin(actor)
    clean = unicodedata.normalize("NFC", name or "").strip()
    if not 1 <= len(clean) <= 200:
        raise ValidationFailed("The incident name must have 1 to 200 characters")
    incident = Incident(
        id=new_id(), name=clean, is_drill=is_drill, opened_at=utcnow(),
        opened_by=actor.user_id if actor else None,
    )
    session.add(incident)
    await session.flush()
    _record(session, incident)
    await events.emit(session, events.INCIDENT_OPENED, incident_id=incident.id, name=incident.name, is_drill=is_drill)
    return incident


async def get_incident(session: AsyncSession, incident_id: str) -> Incident:
    incident = await session.get(Incident, incident_id) if is_uuid(incident_id) else None
    if incident is None:
        raise NotFound("No such incident")
    return incident


async def require_open(session: AsyncSession, incident_id: str) -> Incident:
    incident = await get_incident(session, incident_id)
    if incident.closed_at is not None:
        raise IncidentClosed("This incident is closed; check-ins are no longer taken")
    return incident


async def close_incident(session: AsyncSession, *, actor: Identity | None, incident_id: str) -> Incident:
    _require_admin(actor)
    incident = await get_incident(session, incident_id)
    if incident.closed_at is not None:
        return incident
    now = utcnow()
    incident.closed_at = now
    incident.purge_after = now if incident.is_drill else now + PURGE_AFTER
    incident.version += 1
    session.add(incident)
    await session.flush()
    _record(session, incident)
    if incident.is_drill:
        await purge_personal_data(session, incident)
    return incident


async def open_incidents(session: AsyncSession) -> list[Incident]:
    rows = await session.scalars(
        sa.select(Incident).where(Incident.closed_at.is_(None)).order_by(Incident.opened_at)  # type: ignore[union-attr]
    )
    return list(rows)


async def purge_personal_data(session: AsyncSession, incident: Incident) -> int:
    """Delete an incident's check-ins and statuses; clients get tombstones."""
    statuses = list(
        await session.execute(
            sa.select(SafetyStatus.person_id, SafetyStatus.version).where(SafetyStatus.incident_id == incident.id)
        )
    )
    checkins = list(
        await session.execute(sa.select(CheckIn.id).where(CheckIn.incident_id == incident.id))
    )
    for row in statuses:
        feed.record_change(
            session, entity_type="SafetyStatus", entity_id=f"{incident.id}:{row.person_id}",
            version=row.version + 1, data=None, audiences=set(), op="DELETE",
        )
    for row in checkins:
        feed.record_change(
            session, entity_type="CheckIn", entity_id=row.id, version=2, data=None,
            audiences=set(), op="DELETE",
        )
    await session.execute(sa.delete(SafetyStatus).where(SafetyStatus.incident_id == incident.id))
    await session.execute(sa.delete(CheckIn).where(CheckIn.incident_id == incident.id))
    incident.purged_at = utcnow()
    session.add(incident)
    return len(checkins)


async def purge_due(session: AsyncSession) -> int:
    """Purge every closed incident whose purge date has passed (run by the worker)."""
    due = await session.scalars(
        sa.select(Incident).where(
            Incident.purge_after.is_not(None),  # type: ignore[union-attr]
            Incident.purge_after <= utcnow(),  # type: ignore[operator]
            Incident.purged_at.is_(None),  # type: ignore[union-attr]
        )
    )
    total = 0
    for incident in list(due):
        total += await purge_personal_data(session, incident)
    return total
