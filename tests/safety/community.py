"""A small neighbourhood for the safety tests: an incident, an association, households,
residents on their own devices, leaders, shelter staff and ward admins.

What has no action yet (joining an association, roles, shelters, incidents) is set up through
the services in one unit of work each; everything a resident does goes through `push`, as the
PWA outbox sends it, and everything they see comes from `pull`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from backend.accounts import people
from backend.accounts import service as accounts
from backend.accounts.models import AuditEntry, Person
from backend.accounts.roles import Role
from backend.board import associations, households
from backend.board.models import HouseholdMember
from backend.core.clock import set_clock
from backend.safety import incidents, shelters
from backend.safety.importer.records import ShelterKind, ShelterRecord
from backend.safety.models import CheckIn, SafetyStatus
from tests.conftest import Api
from tests.support.client import OutboxClient


# -- clocks ---------------------------------------------------------------------------------
@dataclass
class ServerClock:
    """The server's clock, frozen at one instant and moved by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@dataclass
class DeviceClock:
    """What a phone's clock shows, set by the test (it may be hours or years off)."""

    shows: datetime

    def __call__(self) -> datetime:
        return self.shows


@pytest.fixture
def server_clock() -> Iterator[ServerClock]:
    clock = ServerClock(datetime.now(UTC).replace(microsecond=0))
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(None)


# -- set-up through the services ------------------------------------------------------------
async def open_incident(api: Api, *, name: str = "首都直下地震", drill: bool = False) -> str:
    async with api.parts.db.unit_of_work() as uow:
        incident = await incidents.open_incident(uow.session, actor=None, name=name, is_drill=drill)
        incident_id = incident.id
        await uow.commit()
    return incident_id


async def new_association(api: Api, name: str = "本町一丁目町会") -> str:
    async with api.parts.db.unit_of_work() as uow:
        association = await associations.create_association(uow.session, name=name)
        association_id = association.id
        await uow.commit()
    return association_id


async def join_association(api: Api, association_id: str, *user_ids: str) -> None:
    async with api.parts.db.unit_of_work() as uow:
        for user_id in user_ids:
            await associations.add_member(
                uow.session, association_id=association_id, user_id=user_id
            )
        await uow.commit()


async def new_household(
    api: Api, association_id: str, label: str, *user_ids: str, address: str = ""
) -> str:
    """A household of these users (who become members of the association too)."""
    await join_association(api, association_id, *user_ids)
    async with api.parts.db.unit_of_work() as uow:
        session = uow.session
        household = await households.create_household(
            session, association_id=association_id, label=label, address=address, created_by=None
        )
        for user_id in user_ids:
            person = await people.ensure_person_for_user(session, user_id)
            await households.add_household_member(session, household=household, person_id=person.id)
        await households.record_household(session, household)
        household_id = household.id
        await uow.commit()
    return household_id


async def grant(api: Api, user_id: str, role: Role, scope_id: str | None = None) -> None:
    async with api.parts.db.unit_of_work() as uow:
        await accounts.grant_role(
            uow.session, actor=None, user_id=user_id, role=role, scope_id=scope_id
        )
        await uow.commit()


async def new_shelter(
    api: Api,
    name: str = "本町小学校",
    *,
    lat: float = 35.6895,
    lon: float = 139.6917,
    capacity: int = 200,
) -> str:
    record = ShelterRecord(
        common_id=None,
        derived_key=f"13101:{name}:{lat}:{lon}",
        municipality_code="13101",
        name=name,
        name_kana=None,
        name_en=None,
        address="東京都千代田区",
        lat=lat,
        lon=lon,
        capacity=capacity,
        kind=ShelterKind.SHELTER,
        welfare=False,
        hazards=frozenset(),
        associations=(),
        phone=None,
        source_format="test",
        source_row=2,
    )
    async with api.parts.db.unit_of_work() as uow:
        counts = await shelters.import_records(uow.session, [record])
        await uow.commit()
    return counts.ids[0]


async def set_consent(api: Api, person_id: str, **changes: bool) -> None:
    """Consent given outside the app (a person without an account, at reception)."""
    async with api.parts.db.unit_of_work() as uow:
        await people.set_consent(uow.session, person_id, changes)
        await uow.commit()


# -- acting through push --------------------------------------------------------------------
async def act(device: OutboxClient, action: str, args: dict[str, Any]) -> dict[str, Any]:
    """Queue one action, drain the outbox and return the server's final result for it."""
    mutation_id = device.enqueue(action, args)
    report = await device.drain()
    assert report.stopped_because == "empty", report
    return device.results[mutation_id]


def check_in_args(incident_id: str, condition: str = "SAFE", **fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "incidentId": incident_id, "condition": condition, **fields}


async def check_in(
    device: OutboxClient, incident_id: str, condition: str = "SAFE", **fields: Any
) -> dict[str, Any]:
    return await act(device, "checkIn", check_in_args(incident_id, condition, **fields))


def applied(result: dict[str, Any]) -> str:
    assert result["status"] == "APPLIED", result
    return str(result["entityId"])


def rejected(result: dict[str, Any]) -> str:
    assert result["status"] == "REJECTED", result
    return str(result["code"])


async def register_person(device: OutboxClient, display_name: str, **fields: Any) -> str:
    person_id = str(uuid.uuid4())
    applied(
        await act(
            device, "registerPerson", {"id": person_id, "displayName": display_name, **fields}
        )
    )
    return person_id


# -- what the replicas and the database hold ------------------------------------------------
def pulled(device: OutboxClient, entity_type: str) -> dict[str, dict[str, Any]]:
    """The entities of one type in a device's replica, by id."""
    return {eid: row["data"] for (kind, eid), row in device.replica.items() if kind == entity_type}


def status_key(incident_id: str, person_id: str) -> str:
    return f"{incident_id}:{person_id}"


async def status_row(api: Api, incident_id: str, person_id: str) -> SafetyStatus | None:
    async with api.parts.db.read_session() as session:
        return await session.get(SafetyStatus, (incident_id, person_id))


async def checkin_rows(api: Api, **where: str) -> list[CheckIn]:
    async with api.parts.db.read_session() as session:
        stmt = sa.select(CheckIn).filter_by(**where).order_by(CheckIn.reported_at)
        return list(await session.scalars(stmt))


async def person_row(api: Api, person_id: str) -> Person | None:
    async with api.parts.db.read_session() as session:
        return await session.get(Person, person_id)


async def household_member_ids(api: Api, household_id: str) -> set[str]:
    async with api.parts.db.read_session() as session:
        rows = await session.scalars(
            sa.select(HouseholdMember.person_id).where(HouseholdMember.household_id == household_id)
        )
        return set(rows)


async def audit_rows(api: Api, action: str | None = None) -> list[AuditEntry]:
    """The audit log, oldest first (only the rows of one action when given)."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    async with api.parts.db.read_session() as session:
        return list(await session.scalars(stmt))
