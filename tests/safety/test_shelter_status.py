"""`shelterStatus(shelterId, incidentId)`: who is at the shelter, counts by condition and the
needs tally — for that shelter's staff and ward admins only, every read audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts.roles import Role
from tests.conftest import Api
from tests.safety.community import (
    act,
    applied,
    audit_rows,
    check_in,
    grant,
    new_association,
    new_shelter,
    open_incident,
)


@dataclass
class Shelter:
    id: str
    other_id: str
    incident_id: str
    staff_token: str
    staff_id: str


async def staffed_shelter(api: Api) -> Shelter:
    shelter_id = await new_shelter(api, "池袋第一小学校", lat=35.7310, lon=139.7120, capacity=4)
    other_id = await new_shelter(api, "南池袋公園", lat=35.7265, lon=139.7140, capacity=100)
    incident_id = await open_incident(api)
    staff_token, staff_id = await api.user("staff@school.example.jp", "運営 一郎")
    await grant(api, staff_id, Role.SHELTER_STAFF, shelter_id)
    return Shelter(shelter_id, other_id, incident_id, staff_token, staff_id)


async def status(api: Api, shelter: Shelter, token: str) -> dict[str, Any]:
    data = await api.gql.data(
        "ShelterStatus", {"shelterId": shelter.id, "incidentId": shelter.incident_id}, token
    )
    result: dict[str, Any] = data["shelterStatus"]
    return result


async def test_staff_see_counts_by_condition_the_needs_tally_and_the_people_present(
    api: Api,
) -> None:
    shelter = await staffed_shelter(api)
    hanako = await api.device("hanako@example.jp", "鈴木 花子")
    taro = await api.device("taro@example.jp", "佐藤 太郎")
    jiro = await api.device("jiro@example.jp", "田中 次郎")
    at_home = await api.device("home@example.jp", "自宅 三郎")
    elsewhere = await api.device("park@example.jp", "公園 四郎")
    incident = shelter.incident_id
    applied(
        await check_in(
            hanako, incident, "SAFE", place="SHELTER", shelterId=shelter.id, needs=["WATER"]
        )
    )
    applied(
        await check_in(
            taro,
            incident,
            "NEED_HELP",
            place="SHELTER",
            shelterId=shelter.id,
            needs=["MEDICAL", "WATER"],
        )
    )
    applied(
        await check_in(
            jiro, incident, "INJURED", place="SHELTER", shelterId=shelter.id, needs=["MEDICATION"]
        )
    )
    applied(await check_in(at_home, incident, "NEED_HELP", place="HOME", needs=["FOOD"]))
    applied(
        await check_in(elsewhere, incident, "SAFE", place="SHELTER", shelterId=shelter.other_id)
    )

    seen = await status(api, shelter, shelter.staff_token)

    assert (seen["shelterId"], seen["incidentId"]) == (shelter.id, incident)
    assert (seen["occupancy"], seen["capacity"], seen["crowding"]) == (3, 4, "HALF")
    assert {c["condition"]: c["count"] for c in seen["counts"]} == {
        "SAFE": 1,
        "NEED_HELP": 1,
        "INJURED": 1,
    }
    assert {n["need"]: n["count"] for n in seen["needs"]} == {
        "WATER": 2,
        "MEDICAL": 1,
        "MEDICATION": 1,
    }
    assert {
        (p["personId"], p["displayName"], p["condition"], tuple(p["needs"]), p["hasAccount"])
        for p in seen["people"]
    } == {
        (hanako.user_id, "鈴木 花子", "SAFE", ("WATER",), True),
        (taro.user_id, "佐藤 太郎", "NEED_HELP", ("MEDICAL", "WATER"), True),
        (jiro.user_id, "田中 次郎", "INJURED", ("MEDICATION",), True),
    }
    assert seen["people"][-1]["condition"] == "SAFE"  # those who need help come first


async def test_someone_who_hid_their_status_from_shelter_staff_is_counted_but_not_listed(
    api: Api,
) -> None:
    shelter = await staffed_shelter(api)
    shy = await api.device("shy@example.jp", "山田 内気")
    willing = await api.device("open@example.jp", "山田 開示")
    applied(await act(shy, "setSafetyVisibility", {"shelterStaff": False}))
    applied(
        await check_in(
            shy,
            shelter.incident_id,
            "NEED_HELP",
            place="SHELTER",
            shelterId=shelter.id,
            needs=["MOBILITY"],
        )
    )
    applied(
        await check_in(willing, shelter.incident_id, "SAFE", place="SHELTER", shelterId=shelter.id)
    )

    seen = await status(api, shelter, shelter.staff_token)

    assert seen["occupancy"] == 2
    assert {c["condition"]: c["count"] for c in seen["counts"]} == {"SAFE": 1, "NEED_HELP": 1}
    assert {n["need"]: n["count"] for n in seen["needs"]} == {"MOBILITY": 1}
    assert [p["displayName"] for p in seen["people"]] == ["山田 開示"]
    assert seen["peopleVisible"] == 1
    assert shy.user_id not in {p["personId"] for p in seen["people"]}


async def test_a_long_list_is_paged_most_urgent_first_and_everyone_is_there_on_request(api: Api) -> None:
    shelter = await staffed_shelter(api)
    names = ["青木 一", "石井 二", "上田 三", "江藤 四", "大野 五"]
    devices = [await api.device(f"p{i}@example.jp", name) for i, name in enumerate(names)]
    conditions = ["SAFE", "SAFE", "INJURED", "SAFE", "NEED_HELP"]
    for device, condition in zip(devices, conditions, strict=True):
        applied(await check_in(device, shelter.incident_id, condition, place="SHELTER", shelterId=shelter.id))
    variables = {"shelterId": shelter.id, "incidentId": shelter.incident_id}

    def listed(seen: dict[str, Any]) -> list[tuple[str, str]]:
        return [(p["displayName"], p["condition"]) for p in seen["people"]]

    everyone = (await api.gql.data("ShelterStatus", {**variables, "people": None}, shelter.staff_token))["shelterStatus"]
    page = (await api.gql.data("ShelterStatus", {**variables, "people": 2}, shelter.staff_token))["shelterStatus"]
    assert (everyone["occupancy"], everyone["peopleVisible"], page["peopleVisible"]) == (5, 5, 5)
    assert listed(everyone)[2:] == sorted([("青木 一", "SAFE"), ("石井 二", "SAFE"), ("江藤 四", "SAFE")])
    assert listed(everyone)[:2] == [("上田 三", "INJURED"), ("大野 五", "NEED_HELP")]  # not safe: by name too
    assert listed(page) == listed(everyone)[:2]  # the page is the top of the same order
    assert page["counts"] == everyone["counts"]  # counts are of everyone, whatever the page

    # The operation's default is the staff screen's page of 100: all five here.
    assert listed(await status(api, shelter, shelter.staff_token)) == listed(everyone)

    refused = await api.gql.execute("ShelterStatus", {**variables, "people": 0}, shelter.staff_token)
    assert [e["extensions"]["code"] for e in refused.body["errors"]] == ["VALIDATION"]


async def test_only_the_shelters_staff_and_ward_admins_may_read_its_status(api: Api) -> None:
    shelter = await staffed_shelter(api)
    other_staff_token, other_staff_id = await api.user("staff@park.example.jp", "公園の運営")
    leader_token, leader_id = await api.user("leader@example.jp", "会長")
    resident = await api.device("resident@example.jp", "住民")
    admin_token, admin_id = await api.user("bousai@ward.example.jp", "防災課")
    await grant(api, other_staff_id, Role.SHELTER_STAFF, shelter.other_id)
    await grant(api, leader_id, Role.LEADER, await new_association(api))
    await grant(api, admin_id, Role.WARD_ADMIN)
    applied(
        await check_in(resident, shelter.incident_id, "SAFE", place="SHELTER", shelterId=shelter.id)
    )
    variables = {"shelterId": shelter.id, "incidentId": shelter.incident_id}

    refused = [
        await api.gql.execute("ShelterStatus", variables, token)
        for token in (other_staff_token, leader_token, resident.token)
    ]
    by_staff = await status(api, shelter, shelter.staff_token)
    by_admin = await status(api, shelter, admin_token)

    for reply in refused:
        assert reply.status == 200
        assert reply.body["data"] is None
        assert [e["extensions"]["code"] for e in reply.body["errors"]] == ["FORBIDDEN"]
    assert [p["personId"] for p in by_staff["people"]] == [resident.user_id]
    assert [p["personId"] for p in by_admin["people"]] == [resident.user_id]


async def test_every_read_of_the_people_at_a_shelter_is_written_to_the_audit_log(api: Api) -> None:
    shelter = await staffed_shelter(api)
    admin_token, admin_id = await api.user("bousai@ward.example.jp", "防災課")
    await grant(api, admin_id, Role.WARD_ADMIN)
    resident = await api.device("resident@example.jp", "住民")
    applied(
        await check_in(resident, shelter.incident_id, "SAFE", place="SHELTER", shelterId=shelter.id)
    )

    for token in (shelter.staff_token, shelter.staff_token, admin_token):
        await status(api, shelter, token)
    rows = await audit_rows(api, "safety.read.shelter")

    assert [(r.actor_id, r.subject_type, r.subject_id) for r in rows] == [
        (shelter.staff_id, "Shelter", shelter.id),
        (shelter.staff_id, "Shelter", shelter.id),
        (admin_id, "Shelter", shelter.id),
    ]
    assert all((r.detail or {}).get("incidentId") == shelter.incident_id for r in rows)
