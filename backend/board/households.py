"""Households (世帯): the unit a circular is read by and a roll-call counts.

Members may have accounts or not. A resident manages their own household; a leader the
households of their association.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import associations, street
from backend.board.models import Household, HouseholdMember
from backend.core import audience, bulk, events, feed
from backend.core.clock import utcnow
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.ids import new_id


def household_data(household: Household, member_ids: list[str]) -> dict[str, Any]:
    return {
        "id": household.id,
        "associationId": household.association_id,
        "label": household.label,
        "address": household.address,
        "groupName": household.group_name,
        "memberIds": sorted(member_ids),
    }


async def member_ids(session: AsyncSession, household_id: str) -> list[str]:
    rows = await session.scalars(
        sa.select(HouseholdMember.person_id).where(HouseholdMember.household_id == household_id)
    )
    return list(rows)


async def record_household(session: AsyncSession, household: Household) -> None:
    members = await member_ids(session, household.id)
    feed.record_change(
        session,
        entity_type="Household",
        entity_id=household.id,
        version=household.version,
        data=household_data(household, members),
        audiences={
            audience.household(household.id),
            audience.association_leaders(household.association_id),
            audience.WARD_ADMINS,
        },
    )


async def create_household(
    session: AsyncSession,
    *,
    association_id: str,
    label: str,
    address: str = "",
    group_name: str = "",
    created_by: str | None,
    household_id: str | None = None,
) -> Household:
    clean = unicodedata.normalize("NFC", label or "").strip()
    if not 1 <= len(clean) <= 200:
        raise ValidationFailed("The household label must have 1 to 200 characters")
    if len(address) > 300 or len(group_name) > 100:
        raise ValidationFailed("The address or group name is too long")
    household_id = household_id or new_id()
    if await session.get(Household, household_id) is not None:
        raise ValidationFailed("A household with this id already exists")
    street_address = unicodedata.normalize("NFKC", address).strip()
    household = Household(
        id=household_id,
        association_id=association_id,
        label=clean,
        address=street_address,
        group_name=group_name.strip(),
        street_key=street.sort_key(street_address, clean, household_id),
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(household)
    await session.flush()
    return household


async def get_household(session: AsyncSession, household_id: str) -> Household:
    household = await session.get(Household, household_id)
    if household is None:
        raise NotFound("No such household")
    return household


async def add_household_member(
    session: AsyncSession, *, household: Household, person_id: str, new_household: bool = False
) -> bool:
    """Add a member; a household created in the same action keeps its first version."""
    if await session.get(HouseholdMember, (household.id, person_id)) is not None:
        return False
    session.add(HouseholdMember(household_id=household.id, person_id=person_id))
    await _members_changed(session, household, person_id, bump=not new_household)
    return True


async def remove_household_member(session: AsyncSession, *, household: Household, person_id: str) -> bool:
    member = await session.get(HouseholdMember, (household.id, person_id))
    if member is None:
        return False
    await session.delete(member)
    await _members_changed(session, household, person_id, bump=True)
    return True


async def _members_changed(session: AsyncSession, household: Household, person_id: str, *, bump: bool) -> None:
    """Other domains follow (safety shows the person's status to their households' viewers)."""
    if bump:
        household.version += 1
    session.add(household)
    await session.flush()
    await events.emit(session, events.HOUSEHOLD_MEMBERS_CHANGED, person_ids=[person_id])


async def set_group(session: AsyncSession, *, household: Household, group_name: str) -> bool:
    """Put the household in a group (班) of its association, or in none (""); the caller
    checks that the actor leads the association."""
    name = unicodedata.normalize("NFC", group_name or "").strip()
    if name and name not in await associations.group_names(session, household.association_id):
        raise ValidationFailed("The association has no group of that name; a leader creates it first")
    if household.group_name == name:
        return False
    household.group_name = name
    household.version += 1
    session.add(household)
    await session.flush()
    return True


async def households_of_person(session: AsyncSession, person_id: str) -> list[Household]:
    rows = await session.scalars(
        sa.select(Household)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)  # type: ignore[arg-type]
        .where(HouseholdMember.person_id == person_id)
    )
    return list(rows)


_HOUSEHOLD: sa.Table = Household.__table__  # type: ignore[attr-defined]
_MEMBER: sa.Table = HouseholdMember.__table__  # type: ignore[attr-defined]


def person_households_subquery(person_id: Any, also_member: Any = None, name: str = "h", *,
                               many: bool = False) -> sa.Subquery:
    """The households of a person as a subquery another domain joins into one query:
    <name>_id, <name>_association_id and, with `also_member`, <name>_shared (whether that
    person is a member of the same household too). With `many`, `person_id` is a
    bulk.list_param for several people and each row says whose it is in <name>_person."""
    member = _MEMBER.alias(f"{name}_m")
    columns: list[Any] = [
        member.c.household_id.label(f"{name}_id"), _HOUSEHOLD.c.association_id.label(f"{name}_association_id"),
    ]
    if many:
        columns.insert(0, member.c.person_id.label(f"{name}_person"))
    if also_member is not None:
        other = _MEMBER.alias(f"{name}_o")
        columns.append(
            sa.exists()
            .where(other.c.household_id == member.c.household_id, other.c.person_id == also_member)
            .label(f"{name}_shared")
        )
    return (
        sa.select(*columns)
        .select_from(member.join(_HOUSEHOLD, _HOUSEHOLD.c.id == member.c.household_id))
        .where(bulk.in_list(member.c.person_id, person_id) if many else member.c.person_id == person_id)
        .subquery(name)
    )


def members_of_association(association_id: Any) -> sa.Select[Any]:
    """Every household of an association with each of its members, one row per member (a
    household without members: one row, member NULL): h_id, h_label, h_address, m_person_id."""
    return (
        sa.select(_HOUSEHOLD.c.id.label("h_id"), _HOUSEHOLD.c.label.label("h_label"),
                  _HOUSEHOLD.c.address.label("h_address"), _MEMBER.c.person_id.label("m_person_id"))
        .select_from(_HOUSEHOLD.outerjoin(_MEMBER, _MEMBER.c.household_id == _HOUSEHOLD.c.id))
        .where(_HOUSEHOLD.c.association_id == association_id)
    )


def can_manage(*, household: Household, actor_id: str, actor_leads: bool, actor_is_member: bool) -> None:
    if not (actor_leads or actor_is_member):
        raise Forbidden("Only a member of the household or a leader of its association can do this")


async def move_memberships(session: AsyncSession, *, from_person: str, to_person: str) -> list[str]:
    """A duplicate record merged into another: its households become the survivor's."""
    moved: list[str] = []
    for member in list(
        await session.scalars(sa.select(HouseholdMember).where(HouseholdMember.person_id == from_person))
    ):
        await session.delete(member)
        if await session.get(HouseholdMember, (member.household_id, to_person)) is None:
            session.add(HouseholdMember(household_id=member.household_id, person_id=to_person))
        moved.append(member.household_id)
        household = await session.get(Household, member.household_id)
        if household is not None:
            household.version += 1
            session.add(household)
    await session.flush()
    if moved:
        await events.emit(session, events.HOUSEHOLD_MEMBERS_CHANGED, person_ids=[to_person])
    return moved

