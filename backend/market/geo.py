"""Coarse positions for the marketplace: where a listing is shown, and how far away it is.

A listing's exact position never leaves the server. Everything shown — its position, its
distance, whether it falls inside a search radius — is computed from the centre of its grid
cell, so two homes in the same cell are indistinguishable. Cells are 0.0025° of latitude
(278 m) tall and at least 250 m wide: the longitude step of each row is chosen for the
row's poleward edge, so every cell of the row is that wide or wider.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8
LAT_STEP = 0.0025
MIN_CELL_M = 250.0
# Distances are shown in steps this long: the cell already hides the house, this keeps the
# figure honest about how much is known.
DISTANCE_STEP_M = 100.0
_LON_QUANTUM = 0.0001
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


def valid_point(lat: float, lon: float) -> bool:
    return (
        not (math.isnan(lat) or math.isnan(lon))
        and -85 <= lat <= 85
        and -180 <= lon <= 180
    )


def _lon_quanta(row: int) -> int:
    """The longitude step of grid row `row` in units of _LON_QUANTUM: every cell of the row
    is at least MIN_CELL_M wide, measured at the row's poleward edge."""
    edge = max(abs(row), abs(row + 1)) * LAT_STEP
    width_per_deg = _M_PER_DEG * math.cos(math.radians(min(edge, 89.0)))
    return math.ceil(MIN_CELL_M / width_per_deg / _LON_QUANTUM)


def lon_step(row: int) -> float:
    return _lon_quanta(row) * _LON_QUANTUM


def _floor(value: float) -> int:
    # Rounded first, so a point exactly on an edge (as a float holds it) falls one way only.
    return math.floor(round(value, 9))


def cell_of(lat: float, lon: float) -> tuple[int, int]:
    row = _floor(lat / LAT_STEP)
    return row, _floor(lon / _LON_QUANTUM / _lon_quanta(row))


def cell_bounds(lat: float, lon: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of the cell holding the point."""
    row, col = cell_of(lat, lon)
    quanta = _lon_quanta(row)
    return (row * LAT_STEP, (row + 1) * LAT_STEP, col * quanta * _LON_QUANTUM,
            (col + 1) * quanta * _LON_QUANTUM)


def snap(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the grid cell holding the point: the only position ever shown."""
    south, north, west, east = cell_bounds(lat, lon)
    return round((south + north) / 2, 6), round((west + east) / 2, 6)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distances_m(lat: float, lon: float, lats: NDArray[np.float64], lons: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle metres from one point to many (haversine, vectorized)."""
    p1 = math.radians(lat)
    p2 = np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    result: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return result


def shown_distance(metres: float) -> float:
    return float(round(metres / DISTANCE_STEP_M) * DISTANCE_STEP_M)


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) surely holding every point within radius_m."""
    dlat = radius_m / _M_PER_DEG
    edge = min(89.0, abs(lat) + dlat)
    dlon = min(180.0, radius_m / (_M_PER_DEG * max(0.01, math.cos(math.radians(edge)))))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat
