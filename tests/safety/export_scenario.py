"""An incident to export, built with the services (check-in rows are written directly so that a
test can pin the reporter's role and the time of each report)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from backend.accounts import people
from backend.accounts import service as accounts
from backend.accounts.roles import Role
from backend.core.identity import Identity
from backend.safety import checkins, incidents, shelters
from backend.safety.models import CheckIn, Shelter
from tests.conftest import Api
from tests.support.server import ROOT

T0 = datetime(2025, 9, 1, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo
ADMIN = Identity(user_id=str(uuid.UUID(int=1)), token_hash="", roles=frozenset({("WARD_ADMIN", "")}))


async def open_incident(api: Api, *, name: str = "首都直下地震", drill: bool = False) -> str:
    async with api.parts.db.unit_of_work() as uow:
        incident = await incidents.open_incident(uow.session, actor=None, name=name, is_drill=drill)
        await uow.commit()
    return incident.id


async def resident(api: Api, name: str, *, public_search: bool | None = None) -> tuple[str, str]:
    """A signed-up resident (token, id) with a person record and, if given, a search choice."""
    token, user_id = await api.user(f"{uuid.uuid4().hex[:12]}@example.jp", name)
    async with api.parts.db.unit_of_work() as uow:
        await people.ensure_person_for_user(uow.session, user_id)
        if public_search is not None:
            await people.set_consent(uow.session, user_id, {"public_search": public_search})
        await uow.commit()
    return token, user_id


async def ward_admin(api: Api, name: str = "防災課") -> tuple[str, str]:
    token, user_id = await api.user(f"admin-{uuid.uuid4().hex[:8]}@ward.example.jp", name)
    async with api.parts.db.unit_of_work() as uow:
        await accounts.grant_role(uow.session, actor=None, user_id=user_id, role=Role.WARD_ADMIN, scope_id=None)
        await uow.commit()
    return token, user_id


async def registered_person(
    api: Api, name: str, *, created_by: str, public_search: bool | None = None,
    birth_year: int | None = None, phone: str | None = None, kana: str | None = None,
) -> str:
    """Someone without an account, registered by a proxy."""
    person_id = str(uuid.uuid4())
    async with api.parts.db.unit_of_work() as uow:
        await people.create_person(uow.session, person_id=person_id, display_name=name, created_by=created_by,
                                   birth_year=birth_year, phone=phone, name_kana=kana)
        if public_search is not None:
            await people.set_consent(uow.session, person_id, {"public_search": public_search})
        await uow.commit()
    return person_id


async def shelter(
    api: Api, name: str, *, common_id: str | None = None, capacity: int | None = None,
    lat: float = 35.6895, lon: float = 139.6917, kind: str = "SHELTER", welfare: bool = False,
) -> str:
    row = Shelter(
        id=str(uuid.uuid4()), common_id=common_id, derived_key=f"D13104-{uuid.uuid4().hex[:16]}",
        municipality_code="13104", name=name, lat=lat, lon=lon, capacity=capacity, kind=kind,
        welfare=welfare, hazards=["EARTHQUAKE"], content_hash=uuid.uuid4().hex,
    )
    async with api.parts.db.unit_of_work() as uow:
        uow.session.add(row)
        await uow.commit()
    return row.id


async def set_open(api: Api, shelter_id: str, incident_id: str, *, is_open: bool = True) -> None:
    async with api.parts.db.unit_of_work() as uow:
        await shelters.set_open(uow.session, actor=ADMIN, shelter_id=shelter_id, incident_id=incident_id,
                                is_open=is_open)
        await uow.commit()


async def check_in(
    api: Api, *, incident_id: str, subject_id: str, reporter_id: str | None = None,
    role: str = "SELF", condition: str = "SAFE", place: str = "UNKNOWN", shelter_id: str | None = None,
    comment: str = "", minutes: int = 0, needs: list[str] | None = None,
    exact: tuple[float, float] | None = None,
) -> str:
    """A report `minutes` after T0, and the person's current status recomputed as the app does."""
    at = T0 + timedelta(minutes=minutes)
    row = CheckIn(
        id=str(uuid.uuid4()), incident_id=incident_id, subject_id=subject_id,
        reporter_id=reporter_id or subject_id, reporter_role=role, condition=condition, place=place,
        shelter_id=shelter_id, needs=needs or [], comment=comment,
        coarse_lat=round(exact[0], 2) if exact else None, coarse_lon=round(exact[1], 2) if exact else None,
        exact_lat=exact[0] if exact else None, exact_lon=exact[1] if exact else None,
        client_time=at, reported_at=at, received_at=at + timedelta(seconds=30),
    )
    async with api.parts.db.unit_of_work() as uow:
        uow.session.add(row)
        await uow.session.flush()
        await checkins.refresh_status(uow.session, incident_id, subject_id)
        await uow.commit()
    return row.id


def otagai(database_url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The `otagai` command as an operator runs it, on the same database (stdout as bytes)."""
    env = {**os.environ, "OTAGAI_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "backend.api.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, timeout=60, check=False)
