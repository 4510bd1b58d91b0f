"""Incidents and drills (訓練): ward admins open and close them; everyone pulls them; a drill's
personal data is deleted when it closes, a real incident's after the purge delay."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.accounts.roles import Role
from backend.safety import incidents
from tests.conftest import Api
from tests.safety.community import (
    ServerClock,
    applied,
    check_in,
    checkin_rows,
    grant,
    new_association,
    new_household,
    open_incident,
    pulled,
    rejected,
    status_key,
    status_row,
)
from tests.support.client import OutboxClient


async def ward_admin(api: Api) -> OutboxClient:
    admin = await api.device("bousai@example.jp", "防災課")
    await grant(api, admin.user_id, Role.WARD_ADMIN)
    return admin


def safety_entities(device: OutboxClient, incident: str) -> list[tuple[str, str]]:
    return [
        (kind, eid)
        for (kind, eid), row in device.replica.items()
        if kind in ("SafetyStatus", "CheckIn") and row["data"]["incidentId"] == incident
    ]


async def test_a_ward_admin_opens_a_drill_and_every_resident_pulls_it_labelled_as_a_drill(
    api: Api,
) -> None:
    admin = await ward_admin(api)
    resident = await api.device("resident@example.jp")  # no association, no role

    opened = (
        await api.gql.data(
            "OpenIncident", {"name": " 9月1日 防災訓練 ", "drill": True}, admin.token
        )
    )["openIncident"]

    assert (opened["__typename"], opened["name"], opened["isDrill"], opened["closedAt"]) == (
        "Incident",
        "9月1日 防災訓練",
        True,
        None,
    )
    await resident.pull_all()
    assert pulled(resident, "Incident")[opened["id"]] == {
        "id": opened["id"],
        "name": "9月1日 防災訓練",
        "isDrill": True,
        "openedAt": opened["openedAt"],
        "closedAt": None,
    }
    listed = (await api.gql.data("Incidents", {}, resident.token))["incidents"]
    assert [(i["id"], i["isDrill"]) for i in listed] == [(opened["id"], True)]


async def test_a_real_incident_is_pulled_as_not_a_drill(api: Api) -> None:
    admin = await ward_admin(api)
    resident = await api.device("resident@example.jp")

    opened = (await api.gql.data("OpenIncident", {"name": "首都直下地震"}, admin.token))[
        "openIncident"
    ]

    await resident.pull_all()
    assert pulled(resident, "Incident")[opened["id"]]["isDrill"] is False


async def test_only_ward_admins_open_and_close_incidents(api: Api) -> None:
    admin = await ward_admin(api)
    association = await new_association(api)
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    resident = await api.device("resident@example.jp")
    incident = await open_incident(api)

    for someone in (leader, resident):
        opened = (
            await api.gql.data("OpenIncident", {"name": "勝手な訓練", "drill": True}, someone.token)
        )["openIncident"]
        closed = (await api.gql.data("CloseIncident", {"id": incident}, someone.token))[
            "closeIncident"
        ]
        assert (opened["__typename"], opened["code"]) == ("IncidentError", "FORBIDDEN")
        assert (closed["__typename"], closed["code"]) == ("IncidentError", "FORBIDDEN")
    blank = (await api.gql.data("OpenIncident", {"name": "  "}, admin.token))["openIncident"]
    assert (blank["__typename"], blank["code"]) == ("IncidentError", "VALIDATION")
    listed = (await api.gql.data("Incidents", {}, admin.token))["incidents"]
    assert [i["id"] for i in listed] == [incident]


async def test_closing_a_drill_deletes_its_check_ins_and_statuses_and_devices_get_tombstones(
    api: Api,
) -> None:
    admin = await ward_admin(api)
    association = await new_association(api)
    mother = await api.device("mother@example.jp", "鈴木 花子")
    son = await api.device("son@example.jp", "鈴木 一郎")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    await new_household(api, association, "鈴木家", mother.user_id, son.user_id)
    drill = (await api.gql.data("OpenIncident", {"name": "防災訓練", "drill": True}, admin.token))[
        "openIncident"
    ]["id"]
    real = await open_incident(api, name="大雨")
    applied(await check_in(son, drill, "SAFE", place="HOME"))
    applied(await check_in(son, drill, "NEED_HELP", subjectId=mother.user_id, needs=["MEDICATION"]))
    kept = applied(await check_in(son, real, "SAFE", place="HOME"))
    for device in (mother, leader):
        await device.pull_all()
        assert len(safety_entities(device, drill)) == 4  # two statuses, two check-ins

    closed = (await api.gql.data("CloseIncident", {"id": drill}, admin.token))["closeIncident"]

    assert closed["__typename"] == "Incident" and closed["closedAt"] is not None
    assert await checkin_rows(api, incident_id=drill) == []
    assert (
        await status_row(api, drill, son.user_id) is None
        and await status_row(api, drill, mother.user_id) is None
    )
    assert [r.id for r in await checkin_rows(api, incident_id=real)] == [
        kept
    ]  # only the drill is purged
    for device in (mother, leader, son):
        await device.pull_all()
        assert safety_entities(device, drill) == []
        assert status_key(real, son.user_id) in pulled(device, "SafetyStatus")
        assert pulled(device, "Incident")[drill]["closedAt"] == closed["closedAt"]
    listed = (await api.gql.data("Incidents", {}, mother.token))["incidents"]
    assert [i["id"] for i in listed] == [real]
    assert rejected(await check_in(son, drill, "SAFE")) == "INCIDENT_CLOSED"


async def test_a_closed_real_incident_keeps_its_reports_until_the_purge_date(
    api: Api, server_clock: ServerClock
) -> None:
    admin = await ward_admin(api)
    association = await new_association(api)
    mother = await api.device("mother@example.jp", "鈴木 花子")
    await new_household(api, association, "鈴木家", mother.user_id)
    incident = await open_incident(api, name="首都直下地震")
    applied(await check_in(mother, incident, "INJURED", place="HOME"))
    closed_at = server_clock.now

    first = (await api.gql.data("CloseIncident", {"id": incident}, admin.token))["closeIncident"]
    server_clock.advance(timedelta(minutes=5))
    again = (await api.gql.data("CloseIncident", {"id": incident}, admin.token))["closeIncident"]

    assert datetime.fromisoformat(first["closedAt"]) == closed_at
    assert again["closedAt"] == first["closedAt"]  # closing twice changes nothing
    assert len(await checkin_rows(api, incident_id=incident)) == 1
    server_clock.advance(incidents.PURGE_AFTER - timedelta(hours=1))
    assert await _purge_due(api) == 0
    assert len(await checkin_rows(api, incident_id=incident)) == 1
    server_clock.advance(timedelta(hours=2))
    assert await _purge_due(api) == 1
    assert await checkin_rows(api, incident_id=incident) == []
    assert await status_row(api, incident, mother.user_id) is None

    server_clock.now = closed_at + timedelta(minutes=10)  # back within the tokens' lifetime
    await mother.pull_all()
    assert safety_entities(mother, incident) == []


async def _purge_due(api: Api) -> int:
    async with api.parts.db.unit_of_work() as uow:
        purged = await incidents.purge_due(uow.session)
        await uow.commit()
    return purged
