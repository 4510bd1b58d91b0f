"""Distances and coarse positions (the only module of safety that knows about geometry).

Distances are great-circle metres (haversine; under 0.5% from the ellipsoid in Japan).
Nearest-first search uses a shapely STRtree over the shelters, rebuilt when they change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from shapely import STRtree, box, points

EARTH_RADIUS_M = 6_371_008.8
# A coarse position shows the neighbourhood, never the house: cells of 0.0025° latitude
# (278 m) by 0.0033° longitude (≥ 250 m everywhere south of 47°N, all of Japan).
COARSE_GRID_DEG = 0.0025
COARSE_GRID_LON_DEG = 0.0033


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def coarse(
    lat: float, lon: float, grid: float = COARSE_GRID_DEG, grid_lon: float = COARSE_GRID_LON_DEG
) -> tuple[float, float]:
    """The centre of the grid cell holding the point."""
    return (
        round((math.floor(lat / grid) + 0.5) * grid, 6),
        round((math.floor(lon / grid_lon) + 0.5) * grid_lon, 6),
    )


def valid_point(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180 and not (math.isnan(lat) or math.isnan(lon))


@dataclass(frozen=True)
class Located:
    key: str
    lat: float
    lon: float


class NearestIndex:
    """Nearest-first ordering of many points around a query point, exact in metres.

    The STRtree (plain lon/lat) narrows the search to a box that surely holds every point
    within D metres; D doubles until the box holds enough points and the farthest of the
    first `limit` lies within D, so nothing nearer can have been left outside.
    """

    def __init__(self, items: Sequence[Located]) -> None:
        self.items = list(items)
        coords = np.array([[i.lon, i.lat] for i in self.items]) if self.items else np.empty((0, 2))
        self._tree = STRtree(points(coords)) if self.items else None

    def within(self, lat: float, lon: float, radius_m: float) -> list[tuple[Located, float]]:
        if self._tree is None:
            return []
        dlat = radius_m / 111_000
        dlon = radius_m / (111_000 * max(0.01, math.cos(math.radians(min(89.0, abs(lat) + dlat)))))
        hits = self._tree.query(box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        found = []
        for index in np.atleast_1d(hits):
            item = self.items[int(index)]
            meters = distance_m(lat, lon, item.lat, item.lon)
            if meters <= radius_m:
                found.append((item, meters))
        found.sort(key=lambda pair: (pair[1], pair[0].key))
        return found

    def nearest(self, lat: float, lon: float, limit: int) -> list[tuple[Located, float]]:
        if self._tree is None or limit <= 0:
            return []
        radius = 1_000.0
        while radius < 25_000_000:
            found = self.within(lat, lon, radius)
            if len(found) >= min(limit, len(self.items)):
                return found[:limit]
            radius *= 4
        return self.within(lat, lon, 25_000_000)[:limit]
