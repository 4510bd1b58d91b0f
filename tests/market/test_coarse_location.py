"""Nobody can work out where anyone lives: positions and distances tell only the ≥ 250 m cell.

The property tests run on the pure grid (geo.py) and on the near-me index with many points;
the API test shows that two homes in the same cell are indistinguishable to a searcher who
asks from anywhere, with any radius.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.market import geo
from backend.market.index import Filters, ListingIndex
from tests.conftest import Api
from tests.market.neighbours import near, offer, seen

# All of Japan, from Okinotorishima to Wakkanai.
lats = st.floats(min_value=20.0, max_value=45.6, allow_nan=False)
lons = st.floats(min_value=122.0, max_value=154.0, allow_nan=False)


def _corners(lat: float, lon: float) -> tuple[float, float, float, float]:
    return geo.cell_bounds(lat, lon)


@given(lats, lons)
def test_every_cell_is_at_least_250_metres_each_way(lat: float, lon: float) -> None:
    south, north, west, east = _corners(lat, lon)

    height = geo.distance_m(south, west, north, west)
    width = min(geo.distance_m(south, west, south, east), geo.distance_m(north, west, north, east))

    assert height >= 250 and width >= 250


@given(lats, lons)
def test_the_shown_position_is_the_centre_of_the_cell_holding_the_home(lat: float, lon: float) -> None:
    south, north, west, east = _corners(lat, lon)
    shown = geo.snap(lat, lon)

    # A point within a nanodegree of an edge counts as on it (geo._floor).
    assert south - 1e-9 <= lat < north + 1e-9 and west - 1e-9 <= lon < east + 1e-9
    assert abs(shown[0] - (south + north) / 2) < 1e-6 and abs(shown[1] - (west + east) / 2) < 1e-6


@given(lats, lons, st.floats(0.0, 0.999), st.floats(0.0, 0.999))
def test_any_two_homes_in_one_cell_show_the_same_position(lat: float, lon: float, u: float, v: float) -> None:
    south, north, west, east = _corners(lat, lon)
    elsewhere = (south + u * (north - south), west + v * (east - west))

    assert geo.snap(*elsewhere) == geo.snap(lat, lon)


@settings(max_examples=60, deadline=None)
@given(lats, lons, st.lists(st.tuples(st.floats(-0.02, 0.02), st.floats(-0.02, 0.02)), min_size=1, max_size=8))
def test_distances_from_anywhere_are_the_same_for_every_home_in_a_cell(
    lat: float, lon: float, searches: list[tuple[float, float]]
) -> None:
    south, north, west, east = _corners(lat, lon)
    homes = [(south + 1e-9, west + 1e-9), (north - 1e-9, east - 1e-9), (lat, lon)]
    index = ListingIndex()
    expires = datetime.now(UTC) + timedelta(days=1)
    index.apply([
        SimpleNamespace(id=f"home-{n}", cell_lat=geo.snap(*h)[0], cell_lon=geo.snap(*h)[1], kind="OFFER",
                        category="WATER", visibility="WARD", association_id=None, status="OPEN",
                        hidden=False, expires_at=expires, index_seq=n + 1)
        for n, h in enumerate(homes)
    ])

    for dlat, dlon in searches:
        ids, metres = index.near(lat + dlat, lon + dlon, 5_000, Filters(now=datetime.now(UTC).timestamp()))
        assert len(ids) in (0, len(homes))  # all of them inside the radius, or none
        assert len({round(float(m), 6) for m in metres}) <= 1


def test_distances_are_shown_in_steps_of_100_metres() -> None:
    assert [geo.shown_distance(m) for m in (0, 49, 51, 349.9, 1234)] == [0, 0, 100, 300, 1200]


async def test_two_homes_in_one_cell_are_indistinguishable_through_the_api(api: Api) -> None:
    south, north, west, east = _corners(35.7295, 139.7109)
    corner_a = (south + 0.0001, west + 0.0001)
    corner_b = (north - 0.0001, east - 0.0001)
    owner_a = await api.device("a@example.jp")
    owner_b = await api.device("b@example.jp")
    searcher = await api.device("searcher@example.jp")
    a = await offer(owner_a, at=corner_a, title="A")
    b = await offer(owner_b, at=corner_b, title="B")
    rng = random.Random(5)
    spots = [corner_a, corner_b] + [(35.7295 + rng.uniform(-0.01, 0.01), 139.7109 + rng.uniform(-0.01, 0.01))
                                    for _ in range(12)]

    for spot in spots:
        for radius in (150, 400, 1500):
            found = {n["id"]: n for n in await near(api, searcher, at=spot, radiusMeters=radius)}
            assert set(found) in (set(), {a, b})
            if found:
                assert found[a]["distanceMeters"] == found[b]["distanceMeters"]
                assert (found[a]["lat"], found[a]["lon"]) == (found[b]["lat"], found[b]["lon"])
                assert found[a]["distanceMeters"] % 100 == 0
    await searcher.pull_all()
    pulled = seen(searcher, "Listing")
    assert (pulled[a]["lat"], pulled[a]["lon"]) == (pulled[b]["lat"], pulled[b]["lon"]) == geo.snap(*corner_a)
    assert str(corner_a[0]) not in str(pulled) and str(corner_b[1]) not in str(pulled)
