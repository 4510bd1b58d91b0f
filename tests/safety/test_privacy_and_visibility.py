"""Opt-in privacy (PRODUCT.md, the Aizu model): each resident decides who sees their safety
status; what someone may no longer see leaves their device as a tombstone; locations are coarse;
every read of someone else's status is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts.roles import Role
from backend.safety import geo
from tests.conftest import Api
from tests.safety.community import (
    act,
    applied,
    audit_rows,
    check_in,
    checkin_rows,
    grant,
    new_association,
    new_household,
    new_shelter,
    open_incident,
    pulled,
    rejected,
    status_key,
)
from tests.support.client import OutboxClient

TOKYO_STATION = (35.681236, 139.767125)


@dataclass
class Street:
    incident: str
    association: str
    mother: OutboxClient  # 鈴木家
    son: OutboxClient  # 鈴木家
    neighbour: OutboxClient  # 田中家
    leader: OutboxClient  # leads the association, lives elsewhere


async def street(api: Api) -> Street:
    incident = await open_incident(api)
    association = await new_association(api)
    mother = await api.device("mother@example.jp", "鈴木 花子")
    son = await api.device("son@example.jp", "鈴木 一郎")
    neighbour = await api.device("neighbour@example.jp", "田中 進")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    await new_household(api, association, "鈴木家", mother.user_id, son.user_id, address="1-1-1")
    await new_household(api, association, "田中家", neighbour.user_id, address="1-1-2")
    return Street(incident, association, mother, son, neighbour, leader)


def about(device: OutboxClient, person_id: str) -> list[tuple[str, str]]:
    """Everything in a device's replica that tells something about this person's safety."""
    return [
        (kind, eid)
        for (kind, eid), row in device.replica.items()
        if (kind == "SafetyStatus" and row["data"]["personId"] == person_id)
        or (kind == "CheckIn" and row["data"]["subjectId"] == person_id)
    ]


def error_codes(reply: Any) -> list[str]:
    assert reply.status == 200, reply.body
    return [e["extensions"]["code"] for e in reply.body.get("errors") or []]


async def test_a_resident_can_neither_pull_nor_query_a_neighbours_status(api: Api) -> None:
    s = await street(api)
    shelter = await new_shelter(api)
    applied(
        await check_in(
            s.neighbour,
            s.incident,
            "NEED_HELP",
            place="SHELTER",
            shelterId=shelter,
            comment="足を怪我しました",
        )
    )

    await s.mother.pull_all()

    assert about(s.mother, s.neighbour.user_id) == []
    found = await api.gql.data(
        "FindPerson", {"incidentId": s.incident, "name": "田中 進"}, s.mother.token
    )
    assert found["findPerson"] == []
    roll_call = await api.gql.execute(
        "RollCall", {"associationId": s.association, "incidentId": s.incident}, s.mother.token
    )
    assert error_codes(roll_call) == ["FORBIDDEN"]
    shelter_status = await api.gql.execute(
        "ShelterStatus", {"shelterId": shelter, "incidentId": s.incident}, s.mother.token
    )
    assert error_codes(shelter_status) == ["FORBIDDEN"]


async def test_household_members_see_each_others_status_by_default(api: Api) -> None:
    s = await street(api)

    checkin_id = applied(
        await check_in(s.son, s.incident, "INJURED", place="ELSEWHERE", comment="駅で足止め")
    )

    await s.mother.pull_all()
    status = pulled(s.mother, "SafetyStatus")[status_key(s.incident, s.son.user_id)]
    assert (status["condition"], status["place"]) == ("INJURED", "ELSEWHERE")
    assert pulled(s.mother, "CheckIn")[checkin_id]["comment"] == "駅で足止め"


async def test_turning_leaders_off_removes_the_status_from_the_leaders_device(api: Api) -> None:
    s = await street(api)
    applied(await check_in(s.mother, s.incident, "NEED_HELP", place="HOME", needs=["MEDICATION"]))
    await s.leader.pull_all()
    assert len(about(s.leader, s.mother.user_id)) == 2  # her status and her check-in

    result = await act(s.mother, "setSafetyVisibility", {"leaders": False})

    assert (result["status"], result["entityType"]) == ("APPLIED", "SafetyVisibility")
    await s.leader.pull_all()
    assert about(s.leader, s.mother.user_id) == []
    await s.son.pull_all()  # the household still sees it
    assert (
        pulled(s.son, "SafetyStatus")[status_key(s.incident, s.mother.user_id)]["condition"]
        == "NEED_HELP"
    )
    roll_call = (
        await api.gql.data(
            "RollCall", {"associationId": s.association, "incidentId": s.incident}, s.leader.token
        )
    )["rollCall"]
    households = {h["label"]: h for h in roll_call["households"]}
    assert (households["鈴木家"]["answered"], households["鈴木家"]["latestCondition"]) == (
        True,
        None,
    )
    assert (households["田中家"]["answered"], roll_call["unansweredCount"]) == (False, 1)


async def test_a_check_in_after_turning_leaders_off_never_reaches_the_leader(api: Api) -> None:
    s = await street(api)
    applied(await act(s.neighbour, "setSafetyVisibility", {"leaders": False}))

    applied(await check_in(s.neighbour, s.incident, "SAFE", place="HOME"))

    await s.leader.pull_all()
    assert about(s.leader, s.neighbour.user_id) == []
    await s.neighbour.pull_all()
    assert pulled(s.neighbour, "SafetyVisibility")[s.neighbour.user_id] == {
        "personId": s.neighbour.user_id,
        "household": True,
        "leaders": False,
        "shelterStaff": True,
        "publicSearch": False,
        "exactLocation": False,
    }


async def test_turning_household_off_hides_the_status_from_the_family_but_not_from_oneself(
    api: Api,
) -> None:
    s = await street(api)
    applied(await check_in(s.son, s.incident, "SAFE", place="ELSEWHERE"))
    await s.mother.pull_all()
    assert len(about(s.mother, s.son.user_id)) == 2

    applied(await act(s.son, "setSafetyVisibility", {"household": False}))

    await s.mother.pull_all()
    assert about(s.mother, s.son.user_id) == []
    await s.son.pull_all()
    assert (
        pulled(s.son, "SafetyStatus")[status_key(s.incident, s.son.user_id)]["condition"] == "SAFE"
    )


async def test_turning_shelter_staff_off_hides_the_status_from_staff_but_never_from_ward_admins(
    api: Api,
) -> None:
    s = await street(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    admin = await api.device("bousai@example.jp", "防災課")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    await grant(api, admin.user_id, Role.WARD_ADMIN)
    applied(await check_in(s.son, s.incident, "NEED_HELP", place="SHELTER", shelterId=shelter))
    await staff.pull_all()
    assert len(about(staff, s.son.user_id)) == 2

    applied(
        await act(
            s.son,
            "setSafetyVisibility",
            {"shelterStaff": False, "household": False, "leaders": False},
        )
    )

    for device in (staff, s.mother, s.leader):
        await device.pull_all()
        assert about(device, s.son.user_id) == [], device.user_id
    view = (await api.gql.data("ShelterStatus", {"shelterId": shelter, "incidentId": s.incident},
                               staff.token))["shelterStatus"]
    assert (view["occupancy"], view["people"]) == (1, [])  # counted, not named
    # Ward staff see the whole ward on the server, each read audited ...
    view = (await api.gql.data("ShelterStatus", {"shelterId": shelter, "incidentId": s.incident},
                               admin.token))["shelterStatus"]
    assert [(p["personId"], p["condition"]) for p in view["people"]] == [(s.son.user_id, "NEED_HELP")]
    assert [(r.actor_id, r.subject_id) for r in await audit_rows(api, "safety.read.shelter")] == [
        (admin.user_id, shelter)
    ]
    # ... and never as a copy of the ward's safety data on their phone.
    await admin.pull_all()
    assert about(admin, s.son.user_id) == []


async def test_choosing_no_visibility_setting_at_all_is_rejected(api: Api) -> None:
    resident = await api.device("resident@example.jp")

    assert rejected(await act(resident, "setSafetyVisibility", {})) == "VALIDATION"


# -- audit ----------------------------------------------------------------------------------
async def test_each_read_of_other_peoples_status_through_a_query_is_audited(api: Api) -> None:
    s = await street(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    applied(await check_in(s.mother, s.incident, "SAFE", place="SHELTER", shelterId=shelter))

    await api.gql.data(
        "RollCall", {"associationId": s.association, "incidentId": s.incident}, s.leader.token
    )
    await api.gql.data(
        "RollCall", {"associationId": s.association, "incidentId": s.incident}, s.leader.token
    )
    await api.gql.data(
        "ShelterStatus", {"shelterId": shelter, "incidentId": s.incident}, staff.token
    )
    await api.gql.data(
        "FindPerson", {"incidentId": s.incident, "name": "鈴木 花子"}, s.neighbour.token
    )

    roll_calls = await audit_rows(api, "safety.read.rollcall")
    assert [(r.actor_id, r.subject_id) for r in roll_calls] == [
        (s.leader.user_id, s.association)
    ] * 2
    [shelter_read] = await audit_rows(api, "safety.read.shelter")
    assert (shelter_read.actor_id, shelter_read.subject_id) == (staff.user_id, shelter)
    assert shelter_read.detail == {"incidentId": s.incident, "people": 1}
    [search] = await audit_rows(api, "safety.read.find")
    assert (search.actor_id, search.subject_id, search.detail) == (
        s.neighbour.user_id,
        s.incident,
        {"results": 0},
    )


async def test_a_leader_pulling_a_members_status_is_audited(api: Api) -> None:
    """PRODUCT.md: every read of someone else's personal data is audited — pulls included."""
    s = await street(api)
    applied(await check_in(s.mother, s.incident, "NEED_HELP", place="HOME"))
    before = {r.id for r in await audit_rows(api)}

    await s.leader.pull_all()

    assert about(s.leader, s.mother.user_id)
    reads = [
        r for r in await audit_rows(api) if r.id not in before and r.actor_id == s.leader.user_id
    ]
    assert reads, "the leader read the mother's status and nothing was written to the audit log"


# -- coarse location ------------------------------------------------------------------------
async def test_a_check_in_with_an_exact_position_is_pulled_snapped_to_the_coarse_grid(
    api: Api,
) -> None:
    s = await street(api)
    lat, lon = TOKYO_STATION

    checkin_id = applied(
        await check_in(
            s.son, s.incident, "SAFE", place="ELSEWHERE", location={"lat": lat, "lon": lon}
        )
    )

    [row] = await checkin_rows(api, id=checkin_id)
    # No consent to keep the exact position: it is not stored at all.
    assert (row.exact_lat, row.exact_lon) == (None, None)
    for viewer in (s.son, s.mother, s.leader):
        await viewer.pull_all()
        shown = pulled(viewer, "CheckIn")[checkin_id]["location"]
        assert (shown["lat"], shown["lon"]) == geo.coarse(lat, lon) != (lat, lon)
        # The shown point is the centre of a cell of 0.0025° (~280 m north-south, ~225 m east-west here).
        assert (
            abs(shown["lat"] - lat) <= geo.COARSE_GRID_DEG / 2
            and abs(shown["lon"] - lon) <= geo.COARSE_GRID_DEG / 2
        )
        assert "exact" not in str(pulled(viewer, "CheckIn")[checkin_id]).lower()
    assert geo.distance_m(lat, lon, lat + geo.COARSE_GRID_DEG, lon) > 250


async def test_two_homes_in_the_same_grid_cell_cannot_be_told_apart(api: Api) -> None:
    s = await street(api)
    cell_lat, cell_lon = geo.coarse(*TOKYO_STATION)
    west = {"lat": cell_lat - 0.0011, "lon": cell_lon - 0.0011}
    east = {"lat": cell_lat + 0.0011, "lon": cell_lon + 0.0011}

    first = applied(await check_in(s.mother, s.incident, "SAFE", place="HOME", location=west))
    second = applied(await check_in(s.son, s.incident, "SAFE", place="HOME", location=east))

    await s.mother.pull_all()
    checkins = pulled(s.mother, "CheckIn")
    assert (
        checkins[first]["location"]
        == checkins[second]["location"]
        == {"lat": cell_lat, "lon": cell_lon}
    )


async def test_the_exact_position_is_stored_only_while_exact_location_consent_is_on(
    api: Api,
) -> None:
    s = await street(api)
    lat, lon = TOKYO_STATION
    applied(await act(s.son, "setSafetyVisibility", {"exactLocation": True}))

    kept = applied(
        await check_in(s.son, s.incident, "NEED_HELP", location={"lat": lat, "lon": lon})
    )

    [row] = await checkin_rows(api, id=kept)
    assert (row.exact_lat, row.exact_lon) == (lat, lon)
    assert (row.coarse_lat, row.coarse_lon) == geo.coarse(lat, lon)
    await s.mother.pull_all()
    assert pulled(s.mother, "CheckIn")[kept]["location"] == dict(
        zip(("lat", "lon"), geo.coarse(lat, lon), strict=True)
    )

    applied(await act(s.son, "setSafetyVisibility", {"exactLocation": False}))

    [row] = await checkin_rows(api, id=kept)
    assert (row.exact_lat, row.exact_lon) == (None, None)  # withdrawing consent forgets it
    assert (row.coarse_lat, row.coarse_lon) == geo.coarse(lat, lon)


async def test_a_location_that_is_not_a_point_on_earth_is_rejected(api: Api) -> None:
    s = await street(api)

    assert (
        rejected(await check_in(s.son, s.incident, "SAFE", location={"lat": 91.0, "lon": 139.7}))
        == "VALIDATION"
    )
    assert (
        rejected(await check_in(s.son, s.incident, "SAFE", location={"lat": 35.6, "lon": 181.0}))
        == "VALIDATION"
    )
