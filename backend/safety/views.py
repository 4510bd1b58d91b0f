"""The read side for staff and leaders: a shelter's live status and the roll-call.

Both read one row per person from safety_status. Every read of other people's status is
written to the audit log.

Each view is one query (rows, not ORM objects): the statuses with the people's names and
visibility choices joined in (accounts supplies that join), and for the roll-call the
association's households and members (board supplies them) — measured at 100,000 check-ins
in bench/checkin_surge.py, where loading a shelter's or an association's ~500 people as ORM
objects in three queries was most of the time.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.accounts import service as accounts
from backend.board import households, street
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


_STATUS: sa.Table = SafetyStatus.__table__  # type: ignore[attr-defined]


@functools.cache
def _people_at_shelter() -> sa.Select[Any]:
    stmt = sa.select(
        _STATUS.c.person_id, _STATUS.c.condition, _STATUS.c.needs, _STATUS.c.reported_at, _STATUS.c.disputed
    ).where(
        _STATUS.c.incident_id == sa.bindparam("incident_id"),
        _STATUS.c.shelter_id == sa.bindparam("shelter_id"),
        _STATUS.c.place == "SHELTER",
    )
    return people.with_people(stmt, _STATUS.c.person_id, consent=("shelter_staff",))


async def shelter_view(
    session: AsyncSession, *, actor: Identity, shelter_id: str, incident_id: str, audit: bool = True
) -> ShelterView:
    if not (actor.is_ward_admin or actor.has_role("SHELTER_STAFF", shelter_id)):
        raise Forbidden("Only this shelter's staff and ward staff see who is here")
    shelter = await shelters.get_shelter(session, shelter_id)
    await incidents.get_incident(session, incident_id)
    rows = (await session.execute(_people_at_shelter(), {"incident_id": incident_id, "shelter_id": shelter_id})).all()
    counts: Counter[str] = Counter()
    needs: Counter[str] = Counter()
    present: list[Present] = []
    for row in rows:
        counts[row.condition] += 1
        needs.update(row.needs)
        if row.pc_shelter_staff or actor.is_ward_admin:
            present.append(Present(row.person_id, row.pp_display_name or "", row.condition, list(row.needs),
                                   row.reported_at, row.disputed, row.pp_user_id is not None))
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


@functools.cache
def _roll_call_rows() -> sa.Select[Any]:
    homes = households.members_of_association(sa.bindparam("association_id")).subquery("homes")
    condition = (
        sa.select(_STATUS.c.condition)
        .where(_STATUS.c.incident_id == sa.bindparam("incident_id"), _STATUS.c.person_id == homes.c.m_person_id)
        .scalar_subquery()
    )
    return sa.select(homes, condition.label("condition"), *people.consent_columns(homes.c.m_person_id, ("leaders",)))


async def roll_call(
    session: AsyncSession, *, actor: Identity, association_id: str, incident_id: str
) -> list[RollCallEntry]:
    """Every household of the association in street order; unanswered first is the caller's
    choice of view. A household has answered when any member has a status; its condition
    is shown only for members who let leaders see it."""
    if not (actor.is_ward_admin or actor.has_role("LEADER", association_id)):
        raise Forbidden("Only this association's leaders and ward staff see its roll-call")
    await incidents.get_incident(session, incident_id)
    rows = (await session.execute(_roll_call_rows(), {"association_id": association_id, "incident_id": incident_id})).all()
    homes: dict[str, tuple[str, str]] = {}
    members: Counter[str] = Counter()
    known: dict[str, list[str]] = {}  # household → conditions of members who have a status
    visible: dict[str, list[str]] = {}  # … of those who let leaders see it
    for row in rows:
        homes.setdefault(row.h_id, (row.h_label, row.h_address))
        if row.m_person_id is None:
            continue
        members[row.h_id] += 1
        if row.condition is not None:
            known.setdefault(row.h_id, []).append(row.condition)
            if row.pc_leaders or actor.is_ward_admin:
                visible.setdefault(row.h_id, []).append(row.condition)
    order = sorted(homes, key=lambda h: (street.street_order(homes[h][1]), homes[h][0], h))
    entries = [
        RollCallEntry(h, homes[h][0], homes[h][1], h in known, _most_urgent(visible.get(h, [])), members[h])
        for h in order
    ]
    await accounts.audit(
        session, actor_id=actor.user_id, action="safety.read.rollcall", subject_type="Association",
        subject_id=association_id, detail={"incidentId": incident_id},
    )
    return entries


_URGENCY = ["DECEASED", "INJURED", "NEED_HELP", "MISSING", "SAFE"]


def _most_urgent(conditions: list[str]) -> str | None:
    for condition in _URGENCY:
        if condition in conditions:
            return condition
    return None
