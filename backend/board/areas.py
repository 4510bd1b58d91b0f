"""Which association covers a point: the area polygons (GeoJSON) decided by shapely.

Areas change rarely and a ward has a few hundred associations at most, so the prepared
geometries are kept in memory, keyed by each association's id and version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from shapely import prepared
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board.models import Association
from backend.core.errors import ValidationFailed

_CACHE: dict[tuple[str, int], tuple[prepared.PreparedGeometry, BaseGeometry]] = {}


@dataclass(frozen=True)
class Covering:
    association_id: str
    name: str


def _geometry(association_id: str, version: int, area: str) -> tuple[prepared.PreparedGeometry, BaseGeometry]:
    key = (association_id, version)
    found = _CACHE.get(key)
    if found is None:
        geometry = shape(json.loads(area))
        found = (prepared.prep(geometry), geometry)
        if len(_CACHE) > 5000:
            _CACHE.clear()
        _CACHE[key] = found
    return found


async def association_at(session: AsyncSession, *, lat: float, lon: float) -> Covering | None:
    """The association whose area holds the point; where areas overlap, the smallest one."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed("lat must be within ±90 and lon within ±180")
    point = Point(lon, lat)  # GeoJSON order: longitude first
    rows = await session.execute(
        sa.select(Association.id, Association.name, Association.version, Association.area_geojson)
        .where(Association.area_geojson.is_not(None))  # type: ignore[union-attr]
    )
    best: tuple[float, Covering] | None = None
    for row in rows:
        fast, geometry = _geometry(row.id, row.version, row.area_geojson)
        if fast.covers(point) and (best is None or geometry.area < best[0]):
            best = (geometry.area, Covering(row.id, row.name))
    return best[1] if best else None
