"""Checking in *for* someone (API.md "Safety": subjectId): family, a leader of the person's
association, shelter staff for people at their shelter — nobody else."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.accounts.roles import Role
from tests.conftest import Api
from tests.safety.community import (
    applied,
    check_in,
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
from tests.support.client import OutboxClient


@dataclass
class Street:
    incident: str
    association: str
    mother: OutboxClient  # 鈴木家
    son: OutboxClient  # 鈴木家
    neighbour: OutboxClient  # 田中家, same association


async def street(api: Api) -> Street:
    incident = await open_incident(api)
    association = await new_association(api)
    mother = await api.device("mother@example.jp", "鈴木 花子")
    son = await api.device("son@example.jp", "鈴木 一郎")
    neighbour = await api.device("neighbour@example.jp", "田中 進")
    await new_household(api, association, "鈴木家", mother.user_id, son.user_id)
    await new_household(api, association, "田中家", neighbour.user_id)
    return Street(incident, association, mother, son, neighbour)


async def test_a_household_member_checks_in_for_another_member(api: Api) -> None:
    s = await street(api)

    checkin_id = applied(
        await check_in(
            s.son,
            s.incident,
            "NEED_HELP",
            subjectId=s.mother.user_id,
            place="HOME",
            needs=["MEDICATION"],
        )
    )

    [row] = await checkin_rows(api, id=checkin_id)
    assert (row.subject_id, row.reporter_id, row.reporter_role) == (
        s.mother.user_id,
        s.son.user_id,
        "HOUSEHOLD",
    )
    await s.mother.pull_all()  # the person reported on sees it too
    status = pulled(s.mother, "SafetyStatus")[status_key(s.incident, s.mother.user_id)]
    assert (status["condition"], status["reporterId"]) == ("NEED_HELP", s.son.user_id)
    assert pulled(s.mother, "CheckIn")[checkin_id]["reporterRole"] == "HOUSEHOLD"


async def test_a_family_member_may_report_someone_missing(api: Api) -> None:
    s = await street(api)

    applied(
        await check_in(
            s.son, s.incident, "MISSING", subjectId=s.mother.user_id, comment="連絡がとれません"
        )
    )

    status = await status_row(api, s.incident, s.mother.user_id)
    assert status is not None and (status.condition, status.reporter_id) == (
        "MISSING",
        s.son.user_id,
    )


async def test_a_leader_checks_in_for_a_member_of_their_association(api: Api) -> None:
    s = await street(api)
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, s.association)

    checkin_id = applied(
        await check_in(leader, s.incident, "SAFE", subjectId=s.neighbour.user_id, place="HOME")
    )

    [row] = await checkin_rows(api, id=checkin_id)
    assert (row.subject_id, row.reporter_role) == (s.neighbour.user_id, "LEADER")
    status = await status_row(api, s.incident, s.neighbour.user_id)
    assert status is not None and (status.condition, status.reporter_id) == ("SAFE", leader.user_id)


async def test_a_leader_of_another_association_may_not_check_in_for_someone(api: Api) -> None:
    s = await street(api)
    elsewhere = await new_association(api, "本町二丁目町会")
    other_leader = await api.device("other-leader@example.jp", "二丁目会長")
    await grant(api, other_leader.user_id, Role.LEADER, elsewhere)

    code = rejected(await check_in(other_leader, s.incident, "SAFE", subjectId=s.neighbour.user_id))

    assert code == "FORBIDDEN"
    assert await status_row(api, s.incident, s.neighbour.user_id) is None


async def test_a_neighbour_in_another_household_may_not_check_in_for_someone(api: Api) -> None:
    s = await street(api)

    code = rejected(await check_in(s.neighbour, s.incident, "SAFE", subjectId=s.mother.user_id))

    assert code == "FORBIDDEN"
    assert await checkin_rows(api, subject_id=s.mother.user_id) == []


async def test_a_stranger_may_not_check_in_for_someone(api: Api) -> None:
    s = await street(api)
    stranger = await api.device("stranger@example.jp", "通りすがり")

    assert (
        rejected(await check_in(stranger, s.incident, "NEED_HELP", subjectId=s.son.user_id))
        == "FORBIDDEN"
    )
    assert (
        rejected(await check_in(stranger, s.incident, "SAFE", subjectId=str(uuid.uuid4())))
        == "NOT_FOUND"
    )
    assert await status_row(api, s.incident, s.son.user_id) is None


async def test_shelter_staff_check_in_for_someone_whose_status_is_at_their_shelter(
    api: Api,
) -> None:
    s = await street(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    applied(await check_in(s.mother, s.incident, "SAFE", place="SHELTER", shelterId=shelter))

    checkin_id = applied(
        await check_in(staff, s.incident, "INJURED", subjectId=s.mother.user_id, needs=["MEDICAL"])
    )

    [row] = await checkin_rows(api, id=checkin_id)
    assert (row.reporter_role, row.condition) == ("SHELTER_STAFF", "INJURED")
    status = await status_row(api, s.incident, s.mother.user_id)
    assert status is not None and (status.condition, status.needs) == ("INJURED", ["MEDICAL"])


async def test_a_report_that_does_not_say_where_keeps_the_person_at_their_known_shelter(
    api: Api,
) -> None:
    """Staff marking an evacuee injured (no place given: 場所は不明) must not take her off
    the shelter's list; an UNKNOWN place says nothing new about where she is."""
    s = await street(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    applied(await check_in(s.mother, s.incident, "SAFE", place="SHELTER", shelterId=shelter))

    applied(await check_in(staff, s.incident, "INJURED", subjectId=s.mother.user_id))

    status = await status_row(api, s.incident, s.mother.user_id)
    assert status is not None
    assert (status.condition, status.place, status.shelter_id) == ("INJURED", "SHELTER", shelter)


async def test_shelter_staff_check_in_for_someone_arriving_at_their_shelter(api: Api) -> None:
    s = await street(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)

    applied(
        await check_in(
            staff, s.incident, "SAFE", subjectId=s.son.user_id, place="SHELTER", shelterId=shelter
        )
    )

    status = await status_row(api, s.incident, s.son.user_id)
    assert status is not None and (status.place, status.shelter_id) == ("SHELTER", shelter)
    await staff.pull_all()  # the son's status is now visible to the staff of his shelter
    seen = pulled(staff, "SafetyStatus")[status_key(s.incident, s.son.user_id)]
    assert (seen["condition"], seen["shelterId"]) == ("SAFE", shelter)


async def test_shelter_staff_may_not_check_in_for_someone_at_another_shelter(api: Api) -> None:
    s = await street(api)
    here = await new_shelter(api, "本町小学校")
    there = await new_shelter(api, "本町中学校", lat=35.70, lon=139.70)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, here)
    applied(await check_in(s.mother, s.incident, "NEED_HELP", place="SHELTER", shelterId=there))

    code = rejected(await check_in(staff, s.incident, "SAFE", subjectId=s.mother.user_id))

    assert code == "FORBIDDEN"
    status = await status_row(api, s.incident, s.mother.user_id)
    assert status is not None and status.condition == "NEED_HELP"


async def test_shelter_staff_check_in_a_person_registered_at_reception(api: Api) -> None:
    s = await street(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    visitor = await register_person(staff, "山本 正", birthYear=1950, phone="090-1234-5678")

    applied(
        await check_in(
            staff,
            s.incident,
            "NEED_HELP",
            subjectId=visitor,
            place="SHELTER",
            shelterId=shelter,
            needs=["FOOD", "WATER"],
        )
    )

    status = await status_row(api, s.incident, visitor)
    assert status is not None
    assert (status.condition, status.place, status.shelter_id, status.needs) == (
        "NEED_HELP",
        "SHELTER",
        shelter,
        ["FOOD", "WATER"],
    )


async def test_shelter_staff_check_in_a_resident_who_has_never_opened_the_app(api: Api) -> None:
    """An account holder without a person row yet (they registered, then never used the app)
    arrives at the shelter: staff must be able to check them in."""
    s = await street(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    _, newcomer = await api.user("newcomer@example.jp", "新井 由美")

    result = await check_in(
        staff, s.incident, "SAFE", subjectId=newcomer, place="SHELTER", shelterId=shelter
    )

    applied(result)
    status = await status_row(api, s.incident, newcomer)
    assert status is not None and status.shelter_id == shelter
