"""Loads the demo ward from fixtures/demo (idempotent: what exists is kept)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people, service
from backend.accounts.roles import Role
from backend.board import associations, households
from backend.board.demo import load_demo_board
from backend.board.models import Association, Household
from backend.core import audience, feed
from backend.core.clock import utcnow
from backend.core.db import Database
from backend.core.ids import new_id
from backend.market.demo import load_demo_listings
from backend.safety import incidents, shelters
from backend.safety.importer.parse import parse_file
from backend.safety.models import Shelter


async def _accounts(session: AsyncSession, folder: Path) -> tuple[dict[str, str], int]:
    ids: dict[str, str] = {}
    created = 0
    for person in json.loads((folder / "accounts.json").read_text(encoding="utf-8")):
        user = await service.find_user_by_email(session, person["email"])
        if user is None:
            user, _ = await service.register(
                session, email=person["email"], password=person["password"],
                display_name=person["displayName"], locale=person.get("locale", "ja"),
            )
            created += 1
        if person.get("role") == "WARD_ADMIN":
            await service.grant_role(session, actor=None, user_id=user.id, role=Role.WARD_ADMIN, scope_id=None)
        ids[person["email"]] = user.id
    return ids, created


async def _household(session: AsyncSession, association_id: str, spec: dict[str, Any], users: dict[str, str]) -> None:
    existing = await session.scalar(
        sa.select(Household.id).where(Household.association_id == association_id, Household.label == spec["label"])
    )
    if existing:
        return
    home = await households.create_household(
        session, association_id=association_id, label=spec["label"], address=spec.get("address", ""),
        created_by=None,
    )
    for email in spec.get("members", []):
        await associations.add_member(session, association_id=association_id, user_id=users[email])
        person = await people.ensure_person_for_user(session, users[email])
        await households.add_household_member(session, household=home, person_id=person.id)
    for other in spec.get("others", []):
        person = await people.create_person(
            session, person_id=new_id(), display_name=other["displayName"], created_by=None,
            birth_year=other.get("birthYear"), name_kana=other.get("nameKana"),
        )
        await households.add_household_member(session, household=home, person_id=person.id)
        feed.record_change(
            session, entity_type="Person", entity_id=person.id, version=person.version,
            data=people.person_data(person),
            audiences={audience.household(home.id), audience.association_leaders(association_id),
                       audience.WARD_ADMINS},
        )
    await households.record_household(session, home)


async def _ward(session: AsyncSession, folder: Path, users: dict[str, str]) -> None:
    ward = json.loads((folder / "ward.json").read_text(encoding="utf-8"))
    parsed = parse_file(folder / "toshima_emergency_sites.gsi.csv")
    await shelters.import_records(session, parsed.records)
    by_name: dict[str, str] = {}
    for spec in ward["associations"]:
        found = await session.scalar(sa.select(Association.id).where(Association.name == spec["name"]))
        association_id = found or (await associations.create_association(session, name=spec["name"])).id
        by_name[spec["name"]] = association_id
        for home in spec["households"]:
            await _household(session, association_id, home, users)
    for lead in ward["leaders"]:
        await service.grant_role(session, actor=None, user_id=users[lead["email"]], role=Role.LEADER,
                                 scope_id=by_name[lead["association"]])
    for staff in ward["shelterStaff"]:
        shelter_id = await session.scalar(sa.select(Shelter.id).where(Shelter.common_id == staff["commonId"]))
        if shelter_id:
            await service.grant_role(session, actor=None, user_id=users[staff["email"]],
                                     role=Role.SHELTER_STAFF, scope_id=shelter_id)
    if not any(i.name == ward["drill"] for i in await incidents.open_incidents(session)):
        await incidents.open_incident(session, actor=None, name=ward["drill"], is_drill=True)


async def load_demo(database_url: str, folder: Path) -> int:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as uow:
            users, created = await _accounts(uow.session, folder)
            await _ward(uow.session, folder, users)
            await load_demo_listings(uow.session, users=users, now=utcnow())
            await load_demo_board(uow.session, users=users, now=utcnow())
            await uow.commit()
    finally:
        await db.dispose()
    return created
