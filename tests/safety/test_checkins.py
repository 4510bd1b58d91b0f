"""checkIn (安否確認) for oneself: what is accepted, what is refused and why, and the status
that results (API.md "Safety")."""

from __future__ import annotations

import uuid

from backend.accounts.roles import Role
from tests.conftest import Api
from tests.safety.community import (
    act,
    applied,
    check_in,
    check_in_args,
    checkin_rows,
    grant,
    new_association,
    new_household,
    new_shelter,
    open_incident,
    pulled,
    register_person,
    rejected,
    status_key,
    status_row,
)


async def test_a_resident_checks_in_with_each_condition_and_place_and_the_latest_stands(
    api: Api,
) -> None:
    incident = await open_incident(api)
    shelter = await new_shelter(api)
    me = await api.device("hanako@example.jp", "鈴木 花子")
    reports = [
        ("SAFE", {"place": "HOME"}),
        ("NEED_HELP", {"place": "ELSEWHERE"}),
        ("INJURED", {"place": "SHELTER", "shelterId": shelter}),
        ("SAFE", {"place": "UNKNOWN"}),
        ("SAFE", {"place": "SHELTER", "shelterId": shelter}),
    ]

    ids = [
        applied(await check_in(me, incident, condition, **where)) for condition, where in reports
    ]

    await me.pull_all()
    mine = pulled(me, "CheckIn")
    assert [(mine[i]["condition"], mine[i]["place"]) for i in ids] == [
        (c, w["place"]) for c, w in reports
    ]
    assert {
        (mine[i]["subjectId"], mine[i]["reporterId"], mine[i]["reporterRole"]) for i in ids
    } == {(me.user_id, me.user_id, "SELF")}
    assert mine[ids[2]]["shelterId"] == shelter
    status = pulled(me, "SafetyStatus")[status_key(incident, me.user_id)]
    assert (status["condition"], status["place"], status["shelterId"], status["checkInId"]) == (
        "SAFE",
        "SHELTER",
        shelter,
        ids[-1],
    )
    assert status["disputed"] is False


async def test_a_check_in_without_a_place_is_recorded_as_place_unknown(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("noplace@example.jp")

    checkin_id = applied(await check_in(me, incident, "SAFE"))

    [row] = await checkin_rows(api, id=checkin_id)
    assert (row.condition, row.place, row.shelter_id) == ("SAFE", "UNKNOWN", None)


async def test_needs_are_kept_once_each_and_shown_on_the_status(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("needs@example.jp")

    checkin_id = applied(
        await check_in(
            me,
            incident,
            "NEED_HELP",
            place="HOME",
            needs=["WATER", "MEDICATION", "WATER", "BABY_SUPPLIES"],
            comment="  薬が切れそうです  ",
        )
    )

    [row] = await checkin_rows(api, id=checkin_id)
    assert row.needs == ["BABY_SUPPLIES", "MEDICATION", "WATER"]
    assert row.comment == "薬が切れそうです"
    status = await status_row(api, incident, me.user_id)
    assert status is not None and status.needs == ["BABY_SUPPLIES", "MEDICATION", "WATER"]
    await me.pull_all()
    assert pulled(me, "CheckIn")[checkin_id]["needs"] == ["BABY_SUPPLIES", "MEDICATION", "WATER"]


async def test_a_comment_of_100_characters_is_kept_whole_and_one_of_101_is_rejected(
    api: Api,
) -> None:
    incident = await open_incident(api)
    me = await api.device("comment@example.jp")
    hundred = "家族全員無事です。" * 11 + "。"  # 100 characters, as on the carriers' boards

    kept = applied(await check_in(me, incident, "SAFE", comment=hundred))
    code = rejected(await check_in(me, incident, "SAFE", comment=hundred + "!"))

    assert len(hundred) == 100
    assert code == "VALIDATION"
    assert [(r.id, r.comment) for r in await checkin_rows(api, subject_id=me.user_id)] == [
        (kept, hundred)
    ]


async def test_a_check_in_for_an_unknown_incident_is_rejected_as_not_found(api: Api) -> None:
    await open_incident(api)
    me = await api.device("lost@example.jp")

    assert rejected(await check_in(me, str(uuid.uuid4()), "SAFE")) == "NOT_FOUND"
    assert rejected(await check_in(me, "not-an-id", "SAFE")) == "NOT_FOUND"
    assert await checkin_rows(api, subject_id=me.user_id) == []


async def test_a_check_in_for_a_closed_incident_is_rejected_as_incident_closed(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("late@example.jp")
    admin = await api.device("admin@example.jp", "防災課")
    await grant(api, admin.user_id, Role.WARD_ADMIN)
    closed = await api.gql.data("CloseIncident", {"id": incident}, admin.token)
    assert closed["closeIncident"]["__typename"] == "Incident"

    assert rejected(await check_in(me, incident, "SAFE")) == "INCIDENT_CLOSED"
    assert await status_row(api, incident, me.user_id) is None


async def test_place_shelter_without_naming_the_shelter_is_rejected_as_validation(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("where@example.jp")

    assert rejected(await check_in(me, incident, "SAFE", place="SHELTER")) == "VALIDATION"
    assert (
        rejected(await check_in(me, incident, "SAFE", place="SHELTER", shelterId=str(uuid.uuid4())))
        == "NOT_FOUND"
    )
    assert await status_row(api, incident, me.user_id) is None


async def test_reporting_oneself_missing_is_rejected_as_validation(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("missing@example.jp")

    assert rejected(await check_in(me, incident, "MISSING")) == "VALIDATION"
    assert await status_row(api, incident, me.user_id) is None


async def test_a_household_member_cannot_record_a_death_but_shelter_staff_can(api: Api) -> None:
    incident = await open_incident(api)
    association = await new_association(api)
    shelter = await new_shelter(api)
    son = await api.device("son@example.jp", "田中 一郎")
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    home = await new_household(api, association, "田中家", son.user_id)
    father = await register_person(son, "田中 茂", householdId=home)

    assert rejected(await check_in(son, incident, "DECEASED", subjectId=father)) == "FORBIDDEN"
    assert rejected(await check_in(son, incident, "DECEASED")) == "FORBIDDEN"  # nor about oneself
    recorded = applied(
        await check_in(
            staff, incident, "DECEASED", subjectId=father, place="SHELTER", shelterId=shelter
        )
    )

    status = await status_row(api, incident, father)
    assert status is not None
    assert (status.condition, status.checkin_id, status.reporter_id) == (
        "DECEASED",
        recorded,
        staff.user_id,
    )
    [row] = await checkin_rows(api, subject_id=father)
    assert row.reporter_role == "SHELTER_STAFF"


async def test_a_ward_admin_may_record_a_death(api: Api) -> None:
    incident = await open_incident(api)
    association = await new_association(api)
    resident = await api.device("resident@example.jp")
    admin = await api.device("ward@example.jp", "防災課")
    await grant(api, admin.user_id, Role.WARD_ADMIN)
    await new_household(api, association, "山田家", resident.user_id)

    applied(await check_in(admin, incident, "DECEASED", subjectId=resident.user_id))

    [row] = await checkin_rows(api, subject_id=resident.user_id)
    assert (row.condition, row.reporter_role) == ("DECEASED", "WARD_ADMIN")


async def test_a_check_in_id_used_again_is_rejected_and_the_first_report_is_kept(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("twice@example.jp")
    other = await api.device("other@example.jp")
    first = check_in_args(incident, "NEED_HELP", place="HOME")

    applied(await act(me, "checkIn", first))
    again = rejected(await act(me, "checkIn", {**first, "condition": "SAFE"}))
    someone_else = rejected(await act(other, "checkIn", {**first, "condition": "SAFE"}))

    assert again == someone_else == "DUPLICATE_ID"
    [row] = await checkin_rows(api, id=first["id"])
    assert (row.condition, row.subject_id) == ("NEED_HELP", me.user_id)
    assert await status_row(api, incident, other.user_id) is None


async def test_a_check_in_id_that_is_not_a_uuid_is_rejected_as_validation(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("badid@example.jp")

    assert (
        rejected(await act(me, "checkIn", {**check_in_args(incident), "id": "checkin-1"}))
        == "VALIDATION"
    )


async def test_a_replayed_check_in_is_applied_once(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("replay@example.jp")
    mutation_id = me.enqueue("checkIn", check_in_args(incident, "NEED_HELP"))
    item = me.queue[0]

    await me.send([item])
    reply = await me.send([item])  # the reply was lost; the outbox sends it again

    [result] = reply.body["data"]["push"]["results"]
    assert (result["mutationId"], result["status"]) == (mutation_id, "DUPLICATE")
    assert len(await checkin_rows(api, subject_id=me.user_id)) == 1
    status = await status_row(api, incident, me.user_id)
    assert status is not None and status.version == 1
