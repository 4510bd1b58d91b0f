"""The read side for staff and leaders: a shelter's live status and the roll-call.

Both read one row per person from safety_status. Every read of other people's status is
written to the audit log.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.accounts import service as accounts
from backend.board import households
from backend.core.errors import Forbidden
from backend.core.identity import Identity
from backend.safety import incidents, shelters
from backend.safety.models import SafetyStatus


@dataclass(frozen=True)
class Present:
    person_id: str
    display_name: str
    condition: str
    needs: list[str]
    reported_at: datetime
    disputed: bool
    has_account: bool


@dataclass(frozen=True)
class ShelterView:
    shelter_id: str
    incident_id: str
    is_open: bool
    occupancy: int
    capacity: int | None
    crowding: str
    counts: dict[str, int]
    needs: dict[str, int]
    people: list[Present]


async def shelter_view(
    session: AsyncSession, *, actor: Identity, shelter_id: str, incident_id: str, audit: bool = True
) -> ShelterView:
    if not (actor.is_ward_admin or actor.has_role("SHELTER_STAFF", shelter_id)):
        raise Forbidden("Only this shelter's staff and ward staff see who is here")
    shelter = await shelters.get_shelter(session, shelter_id)
    await incidents.get_incident(session, incident_id)
    rows = list(
        await session.scalars(
            sa.select(SafetyStatus).where(
                SafetyStatus.incident_id == incident_id, SafetyStatus.shelter_id == shelter_id,
                SafetyStatus.place == "SHELTER",
            )
        )
    )
    ids = [r.person_id for r in rows]
    consents = await people.consents_of(session, ids)
    names = await people.names_of(session, ids)
    counts: Counter[str] = Counter()
    needs: Counter[str] = Counter()
    present: list[Present] = []
    for status in rows:
        counts[status.condition] += 1
        needs.update(status.needs)
        if consents[status.person_id].shelter_staff or actor.is_ward_admin:
            name, has_account = names.get(status.person_id, ("", False))
            present.append(Present(status.person_id, name, status.condition, list(status.needs),
                                   status.reported_at, status.disputed, has_account))
    present.sort(key=lambda p: (not p.disputed, p.condition == "SAFE", p.display_name))
    opening = (await shelters.statuses(session, incident_id)).get(shelter_id)
    if audit and present:
        await accounts.audit(
            session, actor_id=actor.user_id, action="safety.read.shelter", subject_type="Shelter",
            subject_id=shelter_id, detail={"incidentId": incident_id, "people": len(present)},
        )
    occupancy = len(rows)
    return ShelterView(
        shelter_id=shelter_id, incident_id=incident_id, is_open=opening == shelters.OPEN,
        occupancy=occupancy, capacity=shelter.capacity,
        crowding=shelters.crowding(occupancy, shelter.capacity),
        counts=dict(counts), needs=dict(needs), people=present,
    )


@dataclass(frozen=True)
class RollCallEntry:
    household_id: str
    label: str
    address: str
    answered: bool
    latest_condition: str | None
    members: int


async def roll_call(
    session: AsyncSession, *, actor: Identity, association_id: str, incident_id: str
) -> list[RollCallEntry]:
    """Every household of the association in street order; unanswered first is the caller's
    choice of view. A household has answered when any member has a status; its condition
    is shown only for members who let leaders see it."""
    if not (actor.is_ward_admin or actor.has_role("LEADER", association_id)):
        raise Forbidden("Only this association's leaders and ward staff see its roll-call")
    await incidents.get_incident(session, incident_id)
    homes = sorted(
        await households.households_of_association(session, association_id),
        key=lambda h: (street_order(h.address), h.label, h.id),
    )
    members = await households.memberships(session, [h.id for h in homes])
    person_ids = sorted({person_id for _, person_id in members})
    statuses = {
        s.person_id: s
        for s in await session.scalars(
            sa.select(SafetyStatus).where(
                SafetyStatus.incident_id == incident_id,
                SafetyStatus.person_id.in_(person_ids),  # type: ignore[attr-defined]
            )
        )
    }
    consents = await people.consents_of(session, person_ids)
    by_home: dict[str, list[str]] = {}
    for household_id, person_id in members:
        by_home.setdefault(household_id, []).append(person_id)
    entries = []
    for home in homes:
        known = [statuses[p] for p in by_home.get(home.id, []) if p in statuses]
        visible = [s for s in known if consents[s.person_id].leaders or actor.is_ward_admin]
        worst = _most_urgent([s.condition for s in visible])
        entries.append(RollCallEntry(home.id, home.label, home.address, bool(known), worst,
                                     len(by_home.get(home.id, []))))
    await accounts.audit(
        session, actor_id=actor.user_id, action="safety.read.rollcall", subject_type="Association",
        subject_id=association_id, detail={"incidentId": incident_id},
    )
    return entries


def street_order(address: str) -> tuple[tuple[int, object], ...]:
    """駒込3-1-2 before 駒込3-1-10: digits compare as numbers, the rest as text."""
    parts = re.findall(r"\d+|\D+", address)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


_URGENCY = ["DECEASED", "INJURED", "NEED_HELP", "MISSING", "SAFE"]


def _most_urgent(conditions: list[str]) -> str | None:
    for condition in _URGENCY:
        if condition in conditions:
            return condition
    return None
