"""Associations and who belongs to them: members join; leaders hold the LEADER role."""

from __future__ import annotations

import json
import unicodedata

import sqlalchemy as sa
from shapely.errors import ShapelyError
from shapely.geometry import shape
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board.models import Association, AssociationGroup, AssociationMember
from backend.core import audience, feed
from backend.core.clock import utcnow
from backend.core.errors import NotFound, ValidationFailed
from backend.core.identity import Identity
from backend.core.ids import new_id


def match_name(name: str) -> str:
    """Association names as open data spells them: widths, spaces and 町会/町内会 variants fold."""
    text = unicodedata.normalize("NFKC", name).strip()
    return "".join(text.split())


MAX_AREA_CHARS = 200_000  # a few thousand vertices; a town block needs far fewer


def clean_area(area_geojson: str | None) -> str | None:
    if area_geojson is not None and len(area_geojson) > MAX_AREA_CHARS:
        raise ValidationFailed(f"The area may have at most {MAX_AREA_CHARS:,} characters of GeoJSON")
    if area_geojson is None or not area_geojson.strip():
        return None
    try:
        data = json.loads(area_geojson)
        if data.get("type") == "FeatureCollection":
            data = data["features"][0]["geometry"]
        elif data.get("type") == "Feature":
            data = data["geometry"]
        geometry = shape(data)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError, ShapelyError) as exc:
        raise ValidationFailed(f"The area is not valid GeoJSON: {exc}") from exc
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
        raise ValidationFailed("The area must be a valid Polygon or MultiPolygon")
    return json.dumps(data, ensure_ascii=False)


def association_data(association: Association, groups: list[str]) -> dict[str, object]:
    return {
        "id": association.id,
        "name": association.name,
        "isOpen": association.is_open,
        "hasArea": association.area_geojson is not None,
        "groups": groups,
    }


async def group_names(session: AsyncSession, association_id: str) -> list[str]:
    rows = await session.scalars(
        sa.select(AssociationGroup.name).where(AssociationGroup.association_id == association_id)
        .order_by(AssociationGroup.name)
    )
    return list(rows)


async def record_association(session: AsyncSession, association: Association) -> None:
    """Members and leaders pull the association itself (its name and groups)."""
    feed.record_change(
        session, entity_type="Association", entity_id=association.id, version=association.version,
        data=association_data(association, await group_names(session, association.id)),
        audiences={audience.association_members(association.id), audience.association_leaders(association.id)},
    )


async def create_group(session: AsyncSession, *, association_id: str, name: str) -> AssociationGroup:
    """A group (班); the caller checks that the actor leads the association."""
    association = await get_association(session, association_id)
    clean = unicodedata.normalize("NFC", name or "").strip()
    if not 1 <= len(clean) <= 100:
        raise ValidationFailed("The group name must have 1 to 100 characters")
    if clean in await group_names(session, association_id):
        raise ValidationFailed("This association already has a group of that name")
    group = AssociationGroup(id=new_id(), association_id=association_id, name=clean, created_at=utcnow())
    session.add(group)
    association.version += 1
    session.add(association)
    await session.flush()
    await record_association(session, association)
    return group


async def create_association(
    session: AsyncSession, *, name: str, area_geojson: str | None = None, association_id: str | None = None,
    is_open: bool = False,
) -> Association:
    clean = unicodedata.normalize("NFC", name or "").strip()
    if not 1 <= len(clean) <= 200:
        raise ValidationFailed("The association name must have 1 to 200 characters")
    association = Association(
        id=association_id or new_id(),
        name=clean,
        match_name=match_name(clean),
        area_geojson=clean_area(area_geojson),
        is_open=is_open,
        created_at=utcnow(),
    )
    session.add(association)
    await session.flush()
    await record_association(session, association)
    return association


async def set_area(session: AsyncSession, *, association_id: str, area_geojson: str | None) -> Association:
    """A new area (or none); the caller checks that the actor is a ward admin. Which
    association covers a point follows at once (areas.py caches by id and version)."""
    association = await get_association(session, association_id)
    area = clean_area(area_geojson)
    if association.area_geojson != area:
        association.area_geojson = area
        association.version += 1
        session.add(association)
        await session.flush()
        await record_association(session, association)
    return association


async def get_association(session: AsyncSession, association_id: str) -> Association:
    association = await session.get(Association, association_id)
    if association is None:
        raise NotFound("No such association")
    return association


async def add_member(session: AsyncSession, *, association_id: str, user_id: str) -> bool:
    await get_association(session, association_id)
    if await session.get(AssociationMember, (association_id, user_id)) is not None:
        return False
    session.add(AssociationMember(association_id=association_id, user_id=user_id, joined_at=utcnow()))
    await session.flush()
    return True


async def is_member(session: AsyncSession, *, association_id: str, user_id: str) -> bool:
    return await session.get(AssociationMember, (association_id, user_id)) is not None


async def associations_of_user(session: AsyncSession, user_id: str) -> set[str]:
    rows = await session.scalars(
        sa.select(AssociationMember.association_id).where(AssociationMember.user_id == user_id)
    )
    return set(rows)


def leads(identity: Identity, association_id: str) -> bool:
    return identity.has_role("LEADER", association_id) or identity.is_ward_admin


async def associations_by_match_name(session: AsyncSession, names: list[str]) -> dict[str, str]:
    """Association ids by folded name, for linking shelters to the associations they serve."""
    folded = {match_name(n) for n in names if n.strip()}
    if not folded:
        return {}
    rows = await session.execute(
        sa.select(Association.match_name, Association.id).where(Association.match_name.in_(folded))  # type: ignore[attr-defined]
    )
    return {row.match_name: row.id for row in rows}
