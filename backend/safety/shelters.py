"""Shelters in the database: idempotent import, nearest-first listing, opening status,
occupancy and crowding during an incident."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import associations
from backend.core import audience, feed
from backend.core.clock import utcnow
from backend.core.errors import Forbidden, NotFound
from backend.core.identity import Identity
from backend.core.ids import is_uuid, new_id
from backend.safety import geo
from backend.safety.importer.records import ShelterRecord
from backend.safety.models import SafetyStatus, Shelter, ShelterAssociation, ShelterIncidentStatus

OPEN, CLOSED, NOT_OPENED = "OPEN", "CLOSED", "NOT_OPENED"  # 開設 / 閉鎖 / 未開設


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    linked_associations: int = 0
    ids: list[str] = field(default_factory=list)


def _values(record: ShelterRecord) -> dict[str, Any]:
    return {
        "common_id": record.common_id,
        "derived_key": record.derived_key,
        "municipality_code": record.municipality_code,
        "name": record.name,
        "name_kana": record.name_kana or "",
        "name_en": record.name_en or "",
        "address": record.address or "",
        "lat": record.lat,
        "lon": record.lon,
        "capacity": record.capacity,
        "kind": str(record.kind),
        "welfare": record.welfare,
        "hazards": sorted(str(h) for h in record.hazards),
        "accessibility": sorted(str(a) for a in record.accessibility),
        "phone": record.phone or "",
        "associations": list(record.associations),
    }


def _hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def shelter_data(shelter: Shelter) -> dict[str, Any]:
    return {
        "id": shelter.id, "commonId": shelter.common_id, "name": shelter.name,
        "nameKana": shelter.name_kana, "address": shelter.address, "lat": shelter.lat,
        "lon": shelter.lon, "capacity": shelter.capacity, "kind": shelter.kind,
        "welfare": shelter.welfare, "hazards": list(shelter.hazards),
    }


async def _find(session: AsyncSession, record: ShelterRecord) -> Shelter | None:
    if record.common_id:
        found = (await session.scalars(sa.select(Shelter).where(Shelter.common_id == record.common_id))).first()
        if found is not None:
            return found
    return (await session.scalars(sa.select(Shelter).where(Shelter.derived_key == record.derived_key))).first()


async def import_records(session: AsyncSession, records: Iterable[ShelterRecord]) -> ImportCounts:
    """Upsert by the national common ID (else the derived key); unchanged rows stay as they are."""
    counts = ImportCounts()
    for record in records:
        values = _values(record)
        digest = _hash(values)
        shelter = await _find(session, record)
        if shelter is not None and shelter.content_hash == digest:
            counts.unchanged += 1
            counts.ids.append(shelter.id)
            if shelter.associations:  # an association created since the last import
                counts.linked_associations += await _link_associations(session, shelter)
            continue
        if shelter is None:
            shelter = Shelter(id=new_id(), content_hash=digest, version=1, **values)
            counts.created += 1
        else:
            for key, value in values.items():
                setattr(shelter, key, value)
            shelter.content_hash = digest
            shelter.version += 1
            counts.updated += 1
        session.add(shelter)
        await session.flush()
        counts.linked_associations += await _link_associations(session, shelter)
        feed.record_change(
            session, entity_type="Shelter", entity_id=shelter.id, version=shelter.version,
            data=shelter_data(shelter), audiences={audience.WARD},
        )
        counts.ids.append(shelter.id)
    return counts


async def _link_associations(session: AsyncSession, shelter: Shelter) -> int:
    await session.execute(sa.delete(ShelterAssociation).where(ShelterAssociation.shelter_id == shelter.id))
    found = await associations.associations_by_match_name(session, list(shelter.associations))
    for association_id in sorted(set(found.values())):
        session.add(ShelterAssociation(shelter_id=shelter.id, association_id=association_id))
    return len(found)


async def get_shelter(session: AsyncSession, shelter_id: str) -> Shelter:
    shelter = await session.get(Shelter, shelter_id) if is_uuid(shelter_id) else None
    if shelter is None:
        raise NotFound("No such shelter")
    return shelter


def crowding(occupancy: int, capacity: int | None) -> str:
    """空き / 半分 / 混雑 / 満員: below 50%, below 80%, below 100%, full."""
    if not capacity:
        return "UNKNOWN"
    share = occupancy / capacity
    if share < 0.5:
        return "EMPTY"
    if share < 0.8:
        return "HALF"
    if share < 1.0:
        return "CROWDED"
    return "FULL"


async def occupancy_by_shelter(session: AsyncSession, incident_id: str | None) -> dict[str, int]:
    """People whose current status is at a shelter (check-ins and reception registrations)."""
    if incident_id is None:
        return {}
    rows = await session.execute(
        sa.select(SafetyStatus.shelter_id, sa.func.count())
        .where(SafetyStatus.incident_id == incident_id, SafetyStatus.place == "SHELTER",
               SafetyStatus.shelter_id.is_not(None))  # type: ignore[union-attr]
        .group_by(SafetyStatus.shelter_id)
    )
    return {row[0]: int(row[1]) for row in rows}


async def statuses(session: AsyncSession, incident_id: str | None) -> dict[str, str]:
    if incident_id is None:
        return {}
    rows = await session.execute(
        sa.select(ShelterIncidentStatus.shelter_id, ShelterIncidentStatus.status).where(
            ShelterIncidentStatus.incident_id == incident_id
        )
    )
    return {row.shelter_id: row.status for row in rows}


async def all_shelters(session: AsyncSession) -> list[Shelter]:
    return list(await session.scalars(sa.select(Shelter).order_by(Shelter.name, Shelter.id)))


async def nearest(
    session: AsyncSession, *, lat: float, lon: float, limit: int, only: set[str] | None = None
) -> list[tuple[Shelter, float]]:
    shelters = [s for s in await all_shelters(session) if only is None or s.id in only]
    by_id = {s.id: s for s in shelters}
    index = geo.NearestIndex([geo.Located(s.id, s.lat, s.lon) for s in shelters])
    return [(by_id[item.key], meters) for item, meters in index.nearest(lat, lon, limit)]


async def set_open(
    session: AsyncSession, *, actor: Identity, shelter_id: str, incident_id: str, is_open: bool
) -> ShelterIncidentStatus:
    if not (actor.is_ward_admin or actor.has_role("SHELTER_STAFF", shelter_id)):
        raise Forbidden("Only the shelter's staff or ward staff open and close it")
    await get_shelter(session, shelter_id)
    row = await session.get(ShelterIncidentStatus, (shelter_id, incident_id))
    now = utcnow()
    if row is None:
        row = ShelterIncidentStatus(shelter_id=shelter_id, incident_id=incident_id, status=NOT_OPENED)
    else:
        row.version += 1
    row.status = OPEN if is_open else CLOSED
    if is_open:
        row.opened_at = row.opened_at or now
        row.closed_at = None
    else:
        row.closed_at = now
    session.add(row)
    await session.flush()
    feed.record_change(
        session, entity_type="ShelterOpening", entity_id=f"{shelter_id}:{incident_id}",
        version=row.version,
        data={"shelterId": shelter_id, "incidentId": incident_id, "status": row.status},
        audiences={audience.WARD},
    )
    return row
