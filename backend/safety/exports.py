"""Shelter status during an incident, for other systems: CSV (for Excel) and GeoJSON.

Rows are keyed by the national common ID, or by the derived key for shelters whose file had
none (DATA.md). Opening status uses the EEI wording (未開設 / 開設 / 閉鎖 / 不明) beside our codes,
crowding the wording people share (空き / 半分 / 混雑 / 満員). Counts only, never people.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.core.errors import Forbidden
from backend.core.identity import Identity
from backend.safety import incidents, shelters
from backend.safety.models import Incident, ShelterIncidentStatus

UNKNOWN = "UNKNOWN"
STATUS_LABELS = {
    shelters.NOT_OPENED: "未開設", shelters.OPEN: "開設", shelters.CLOSED: "閉鎖", UNKNOWN: "不明",
}
CROWDING_LABELS = {"EMPTY": "空き", "HALF": "半分", "CROWDED": "混雑", "FULL": "満員", UNKNOWN: "不明"}
KIND_LABELS = {"SHELTER": "指定避難所", "EVACUATION_SITE": "指定緊急避難場所", "BOTH": "指定避難所・指定緊急避難場所"}
JST = timezone(timedelta(hours=9), "JST")

# (Japanese label for people, English key for programs): the CSV header shows both.
COLUMNS = (
    ("キー", "key"), ("共通ID", "commonId"), ("名称", "name"), ("種別", "kind"),
    ("福祉避難所", "welfare"), ("開設状況", "status"), ("開設日時", "openedAt"),
    ("閉鎖日時", "closedAt"), ("収容人数", "capacity"), ("避難者数", "evacuees"),
    ("混雑", "crowding"), ("緯度", "lat"), ("経度", "lon"),
)
CSV_HEADER = tuple(f"{label} ({key})" for label, key in COLUMNS)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
GEOJSON_MEDIA_TYPE = "application/geo+json"


@dataclass(frozen=True)
class ShelterStatusRow:
    key: str  # the common ID, else the derived key
    common_id: str | None
    name: str
    kind: str
    welfare: bool
    status: str  # NOT_OPENED / OPEN / CLOSED / UNKNOWN
    opened_at: datetime | None
    closed_at: datetime | None
    capacity: int | None
    evacuees: int
    crowding: str  # EMPTY / HALF / CROWDED / FULL / UNKNOWN
    lat: float
    lon: float


def opening_status(recorded: str | None, evacuees: int) -> str:
    """No opening recorded: not opened — unless people are there, then nobody knows (不明)."""
    if recorded is None:
        return UNKNOWN if evacuees else shelters.NOT_OPENED
    return recorded if recorded in STATUS_LABELS else UNKNOWN


def local_time(value: datetime | None) -> str:
    return value.astimezone(JST).isoformat(timespec="seconds") if value else ""


def _csv_cells(row: ShelterStatusRow) -> list[str]:
    return [
        row.key, row.common_id or "", row.name, KIND_LABELS.get(row.kind, row.kind),
        "1" if row.welfare else "", STATUS_LABELS[row.status], local_time(row.opened_at),
        local_time(row.closed_at), "" if row.capacity is None else str(row.capacity),
        str(row.evacuees), CROWDING_LABELS.get(row.crowding, "不明"), f"{row.lat:.6f}",
        f"{row.lon:.6f}",
    ]


def to_csv(rows: Iterable[ShelterStatusRow]) -> bytes:
    """UTF-8 with a BOM and CRLF line ends, so Excel opens it as Japanese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_cells(row) for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _properties(row: ShelterStatusRow) -> dict[str, Any]:
    return {
        "key": row.key, "commonId": row.common_id, "name": row.name, "kind": row.kind,
        "kindLabel": KIND_LABELS.get(row.kind, row.kind), "welfare": row.welfare,
        "status": row.status, "statusLabel": STATUS_LABELS[row.status],
        "openedAt": row.opened_at.isoformat() if row.opened_at else None,
        "closedAt": row.closed_at.isoformat() if row.closed_at else None,
        "capacity": row.capacity, "evacuees": row.evacuees, "crowding": row.crowding,
        "crowdingLabel": CROWDING_LABELS.get(row.crowding, "不明"),
    }


def to_geojson(rows: Iterable[ShelterStatusRow], incident: Incident | None = None) -> bytes:
    """An RFC 7946 FeatureCollection of points (longitude first), one feature per shelter."""
    collection: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature", "id": row.key,
                "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
                "properties": _properties(row),
            }
            for row in rows
        ],
    }
    if incident is not None:  # a foreign member: which incident, and whether it is a drill
        collection["incident"] = {"id": incident.id, "name": incident.name, "isDrill": incident.is_drill}
    return json.dumps(collection, ensure_ascii=False, indent=1).encode("utf-8")


async def _openings(session: AsyncSession, incident_id: str) -> dict[str, ShelterIncidentStatus]:
    rows = await session.scalars(
        sa.select(ShelterIncidentStatus).where(col(ShelterIncidentStatus.incident_id) == incident_id)
    )
    return {row.shelter_id: row for row in rows}


async def shelter_status_rows(
    session: AsyncSession, *, incident_id: str, actor: Identity | None
) -> tuple[Incident, list[ShelterStatusRow]]:
    """Every shelter and evacuation site with its status in the incident (actor None = the CLI)."""
    if actor is not None and not actor.is_ward_admin:
        raise Forbidden("Only ward administrators export shelter status")
    incident = await incidents.get_incident(session, incident_id)
    occupancy = await shelters.occupancy_by_shelter(session, incident.id)
    openings = await _openings(session, incident.id)
    rows = []
    for shelter in await shelters.all_shelters(session):
        evacuees = occupancy.get(shelter.id, 0)
        opening = openings.get(shelter.id)
        rows.append(ShelterStatusRow(
            key=shelter.common_id or shelter.derived_key, common_id=shelter.common_id,
            name=shelter.name, kind=shelter.kind, welfare=shelter.welfare,
            status=opening_status(opening.status if opening else None, evacuees),
            opened_at=opening.opened_at if opening else None,
            closed_at=opening.closed_at if opening else None,
            capacity=shelter.capacity, evacuees=evacuees,
            crowding=shelters.crowding(evacuees, shelter.capacity),
            lat=shelter.lat, lon=shelter.lon,
        ))
    return incident, sorted(rows, key=lambda r: r.key)


def render(rows: Sequence[ShelterStatusRow], fmt: str, incident: Incident | None = None) -> bytes:
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "geojson":
        return to_geojson(rows, incident)
    raise ValueError(f"unknown format {fmt!r}; use csv or geojson")
