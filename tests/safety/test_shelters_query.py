"""`shelters(near, openOnly, first, after, incidentId)`: nearest first in metres, pages,
opening status, and occupancy and crowding from the check-ins at each shelter."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from backend.accounts.roles import Role
from backend.safety import incidents, shelters
from backend.safety.importer import parse_file
from tests.conftest import Api
from tests.safety.community import applied, check_in, grant, new_shelter, open_incident

OPEN_DATA = Path(__file__).resolve().parents[3] / "shared/data/open-data"

# Stations in central Tokyo (WGS84) and, as the point asked about, Toshima ward office.
STATIONS = {
    "池袋駅": (35.7295, 139.7109),
    "新宿駅": (35.6896, 139.7006),
    "渋谷駅": (35.6580, 139.7016),
    "上野駅": (35.7138, 139.7773),
    "東京駅": (35.6812, 139.7671),
    "品川駅": (35.6285, 139.7387),
    "立川駅": (35.6980, 139.4137),
}
TOSHIMA_OFFICE = {"lat": 35.7263, "lon": 139.7166}


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Vincenty's inverse formula on the WGS84 ellipsoid: independent of the app's haversine."""
    a, f = 6_378_137.0, 1 / 298.257223563
    b = (1 - f) * a
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    lon_diff = lam = math.radians(lon2 - lon1)
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        if sin_sigma == 0:
            return 0.0
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha else 0.0
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        inner = cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2)
        previous = lam
        lam = lon_diff + (1 - c) * f * sin_alpha * (sigma + c * sin_sigma * inner)
        if abs(lam - previous) < 1e-12:
            break
    u_sq = cos2_alpha * (a * a - b * b) / (b * b)
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    term = big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
    delta = big_b * sin_sigma * (cos_2sm + big_b / 4 * (cos_sigma * (-1 + 2 * cos_2sm**2) - term))
    return b * big_a * (sigma - delta)


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine on the mean Earth radius, written out again here to rank by."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_the_geodesic_yardstick_reproduces_vincentys_published_example() -> None:
    # Flinders Peak to Buninyong (Vincenty 1975): 54,972.271 m.
    assert geodesic_m(-37.95103342, 144.42486789, -37.65282114, 143.92649553) == pytest.approx(
        54_972.271, abs=0.01
    )


async def page(api: Api, **variables: Any) -> dict[str, Any]:
    data = await api.gql.data("Shelters", variables)
    connection: dict[str, Any] = data["shelters"]
    return connection


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def station_shelters(api: Api) -> dict[str, str]:
    return {
        name: await new_shelter(api, name, lat=lat, lon=lon)
        for name, (lat, lon) in STATIONS.items()
    }


# -- nearest first ------------------------------------------------------------------------
async def test_shelters_near_a_point_come_nearest_first_with_their_distance_in_metres(
    api: Api,
) -> None:
    await station_shelters(api)
    expected = sorted(
        STATIONS,
        key=lambda n: geodesic_m(TOSHIMA_OFFICE["lat"], TOSHIMA_OFFICE["lon"], *STATIONS[n]),
    )

    found = await page(api, near=TOSHIMA_OFFICE, first=10)

    assert names(found) == expected
    for edge in found["edges"]:
        node = edge["node"]
        truth = geodesic_m(TOSHIMA_OFFICE["lat"], TOSHIMA_OFFICE["lon"], node["lat"], node["lon"])
        assert node["distanceMeters"] == pytest.approx(truth, rel=0.005), node["name"]
    assert found["edges"][0]["node"]["distanceMeters"] == pytest.approx(626, rel=0.005)  # 池袋駅
    assert found["edges"][-1]["node"]["distanceMeters"] == pytest.approx(
        27_589, rel=0.005
    )  # 立川駅
    assert found["pageInfo"]["hasNextPage"] is False


async def test_the_nearest_real_sites_of_toshima_are_found_among_all_of_them(api: Api) -> None:
    parsed = parse_file(OPEN_DATA / "gsi_mergeFromCity_2_emergency_sites_SAMPLE_toshima.csv")
    async with api.parts.db.unit_of_work() as uow:
        await shelters.import_records(uow.session, parsed.records)
        await uow.commit()
    here = (35.7300, 139.7100)  # just west of Ikebukuro station
    ranked = sorted(parsed.records, key=lambda r: great_circle_m(*here, r.lat, r.lon))

    found = await page(api, near={"lat": here[0], "lon": here[1]}, first=5)

    assert [e["node"]["commonId"] for e in found["edges"]] == [r.common_id for r in ranked[:5]]
    for edge in found["edges"]:
        node = edge["node"]
        assert node["distanceMeters"] == pytest.approx(
            geodesic_m(*here, node["lat"], node["lon"]), rel=0.005
        )
    assert found["pageInfo"]["hasNextPage"] is True


# -- pages ----------------------------------------------------------------------------------
async def test_pages_of_nearest_shelters_follow_each_other_until_there_is_no_next_page(
    api: Api,
) -> None:
    await station_shelters(api)
    whole = names(await page(api, near=TOSHIMA_OFFICE, first=10))

    first = await page(api, near=TOSHIMA_OFFICE, first=3)
    second = await page(api, near=TOSHIMA_OFFICE, first=3, after=first["pageInfo"]["endCursor"])
    third = await page(api, near=TOSHIMA_OFFICE, first=3, after=second["pageInfo"]["endCursor"])

    assert [names(p) for p in (first, second, third)] == [whole[0:3], whole[3:6], whole[6:7]]
    assert [p["pageInfo"]["hasNextPage"] for p in (first, second, third)] == [True, True, False]
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    assert third["pageInfo"]["endCursor"] == third["edges"][-1]["cursor"]


async def test_pages_without_a_point_list_every_shelter_once(api: Api) -> None:
    ids = set((await station_shelters(api)).values())

    first = await page(api, first=4)
    second = await page(api, first=4, after=first["pageInfo"]["endCursor"])

    listed = [e["node"]["id"] for e in first["edges"] + second["edges"]]
    assert sorted(listed) == sorted(ids)
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)
    assert all(e["node"]["distanceMeters"] is None for e in first["edges"])


# -- opening status -------------------------------------------------------------------------
async def test_open_only_lists_the_shelters_their_staff_opened_for_the_incident(api: Api) -> None:
    by_name = await station_shelters(api)
    incident_id = await open_incident(api)
    staff_token, staff_id = await api.user("staff@ikebukuro.example.jp", "池袋の運営")
    await grant(api, staff_id, Role.SHELTER_STAFF, by_name["池袋駅"])

    before = await page(api, near=TOSHIMA_OFFICE, openOnly=True)
    opened = await api.gql.data(
        "SetShelterOpen",
        {"shelterId": by_name["池袋駅"], "incidentId": incident_id, "open": True},
        staff_token,
    )
    while_open = await page(api, near=TOSHIMA_OFFICE, openOnly=True)
    for_the_incident = await page(api, openOnly=True, incidentId=incident_id)
    await api.gql.data(
        "SetShelterOpen",
        {"shelterId": by_name["池袋駅"], "incidentId": incident_id, "open": False},
        staff_token,
    )
    after_closing = await page(api, near=TOSHIMA_OFFICE, openOnly=True)
    everything = await page(api, near=TOSHIMA_OFFICE)

    assert names(before) == []
    assert opened["setShelterOpen"] == {
        "__typename": "ShelterOpening",
        "shelterId": by_name["池袋駅"],
        "incidentId": incident_id,
        "isOpen": True,
    }
    assert [(e["node"]["name"], e["node"]["isOpen"]) for e in while_open["edges"]] == [
        ("池袋駅", True)
    ]
    assert names(for_the_incident) == ["池袋駅"]
    assert names(after_closing) == []
    assert len(everything["edges"]) == 7
    assert not any(e["node"]["isOpen"] for e in everything["edges"])


async def test_only_the_shelters_own_staff_and_ward_admins_open_it(api: Api) -> None:
    by_name = await station_shelters(api)
    incident_id = await open_incident(api)
    staff_token, staff_id = await api.user("staff@shinjuku.example.jp", "新宿の運営")
    resident_token, _ = await api.user("resident@example.jp", "住民")
    admin_token, admin_id = await api.user("bousai@ward.example.jp", "防災課")
    await grant(api, staff_id, Role.SHELTER_STAFF, by_name["新宿駅"])
    await grant(api, admin_id, Role.WARD_ADMIN)
    ikebukuro = {"shelterId": by_name["池袋駅"], "incidentId": incident_id, "open": True}

    by_other_staff = await api.gql.execute("SetShelterOpen", ikebukuro, staff_token)
    by_resident = await api.gql.execute("SetShelterOpen", ikebukuro, resident_token)
    by_admin = await api.gql.data("SetShelterOpen", ikebukuro, admin_token)

    for refused in (by_other_staff, by_resident):
        assert refused.body["data"]["setShelterOpen"]["__typename"] == "ShelterError"
        assert refused.body["data"]["setShelterOpen"]["code"] == "FORBIDDEN"
    assert by_admin["setShelterOpen"]["isOpen"] is True
    assert names(await page(api, openOnly=True)) == ["池袋駅"]


# -- occupancy and crowding -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("occupancy", "capacity", "crowding"),
    [
        (0, 100, "EMPTY"),
        (49, 100, "EMPTY"),
        (50, 100, "HALF"),
        (79, 100, "HALF"),
        (80, 100, "CROWDED"),
        (99, 100, "CROWDED"),
        (100, 100, "FULL"),
        (130, 100, "FULL"),
        (3, None, "UNKNOWN"),
    ],
)
def test_crowding_is_empty_below_half_half_below_80_percent_crowded_below_full(
    occupancy: int, capacity: int | None, crowding: str
) -> None:
    assert shelters.crowding(occupancy, capacity) == crowding


async def test_occupancy_and_crowding_count_the_people_at_the_shelter_in_the_current_incident(
    api: Api,
) -> None:
    school = await new_shelter(api, "池袋第一小学校", lat=35.7310, lon=139.7120, capacity=5)
    park = await new_shelter(api, "南池袋公園", lat=35.7265, lon=139.7140, capacity=100)
    residents = [await api.device(f"resident{i}@example.jp", f"住民{i}") for i in range(6)]
    earlier = await open_incident(api, name="前回の地震")
    applied(await check_in(residents[0], earlier, place="SHELTER", shelterId=school))
    async with api.parts.db.unit_of_work() as uow:
        await incidents.close_incident(uow.session, actor=None, incident_id=earlier)
        await uow.commit()
    current = await open_incident(api, name="首都直下地震")

    async def at_school() -> tuple[int, str]:
        found = await page(api, near={"lat": 35.7310, "lon": 139.7120}, first=1)
        node = found["edges"][0]["node"]
        assert node["id"] == school
        return node["occupancy"], node["crowding"]

    seen = [await at_school()]
    for resident in residents[:5]:
        applied(await check_in(resident, current, place="SHELTER", shelterId=school))
        seen.append(await at_school())
    applied(await check_in(residents[4], current, place="HOME"))
    seen.append(await at_school())
    applied(await check_in(residents[3], current, "NEED_HELP", place="SHELTER", shelterId=park))
    applied(await check_in(residents[5], current, place="HOME"))
    seen.append(await at_school())
    everything = {e["node"]["id"]: e["node"] for e in (await page(api))["edges"]}
    in_the_earlier = {
        e["node"]["id"]: e["node"] for e in (await page(api, incidentId=earlier))["edges"]
    }

    assert seen == [
        (0, "EMPTY"),
        (1, "EMPTY"),
        (2, "EMPTY"),
        (3, "HALF"),
        (4, "CROWDED"),
        (5, "FULL"),
        (4, "CROWDED"),
        (3, "HALF"),
    ]
    assert (everything[park]["occupancy"], everything[park]["crowding"]) == (1, "EMPTY")
    assert everything[school]["capacity"] == 5
    assert (in_the_earlier[school]["occupancy"], in_the_earlier[park]["occupancy"]) == (1, 0)


async def test_a_check_in_at_a_shelter_is_accepted_whether_or_not_it_was_opened(api: Api) -> None:
    never_opened = await new_shelter(api, "未開設の小学校", lat=35.72, lon=139.71, capacity=10)
    opened = await new_shelter(api, "開設した中学校", lat=35.73, lon=139.72, capacity=10)
    closed = await new_shelter(api, "閉鎖した公民館", lat=35.74, lon=139.73, capacity=10)
    incident_id = await open_incident(api)
    admin_token, admin_id = await api.user("bousai@ward.example.jp", "防災課")
    await grant(api, admin_id, Role.WARD_ADMIN)
    for shelter_id, is_open in ((opened, True), (closed, True), (closed, False)):
        await api.gql.data(
            "SetShelterOpen",
            {"shelterId": shelter_id, "incidentId": incident_id, "open": is_open},
            admin_token,
        )
    residents = [await api.device(f"evacuee{i}@example.jp", f"避難者{i}") for i in range(3)]

    results = [
        await check_in(resident, incident_id, place="SHELTER", shelterId=shelter_id)
        for resident, shelter_id in zip(residents, (never_opened, opened, closed), strict=True)
    ]
    listed = {
        e["node"]["id"]: e["node"] for e in (await page(api, incidentId=incident_id))["edges"]
    }

    assert [r["status"] for r in results] == ["APPLIED", "APPLIED", "APPLIED"]
    assert {sid: (n["isOpen"], n["occupancy"]) for sid, n in listed.items()} == {
        never_opened: (False, 1),
        opened: (True, 1),
        closed: (False, 1),
    }
