"""`rollCall(associationId, incidentId)`: the leader's door-knock list — every household of the
association in address order, which have answered, and the most urgent condition a leader may
see; for that association's leaders and ward admins only, every read audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.accounts import people
from backend.accounts.roles import Role
from backend.board import households
from tests.conftest import Api
from tests.safety.community import (
    act,
    applied,
    audit_rows,
    check_in,
    grant,
    new_association,
    new_household,
    new_shelter,
    open_incident,
)
from tests.support.client import OutboxClient


@dataclass
class Street:
    association_id: str
    incident_id: str
    leader: OutboxClient
    residents: dict[str, OutboxClient]
    households: dict[str, str]  # label -> id
    grandmother_id: str  # lives with 鈴木, has no phone


async def street(api: Api) -> Street:
    """Four households of 本町一丁目町会, created out of address order, and a leader."""
    association_id = await new_association(api, "本町一丁目町会")
    incident_id = await open_incident(api)
    residents = {
        key: await api.device(f"{key}@example.jp", name)
        for key, name in [
            ("suzuki", "鈴木 一郎"),
            ("sato", "佐藤 花子"),
            ("tanaka", "田中 次郎"),
            ("takahashi", "高橋 三郎"),
        ]
    }
    homes = {}
    for label, key, address in [
        ("高橋家", "takahashi", "本町1-4-1"),
        ("鈴木家", "suzuki", "本町1-1-1"),
        ("田中家", "tanaka", "本町1-3-1"),
        ("佐藤家", "sato", "本町1-2-1"),
    ]:
        homes[label] = await new_household(
            api, association_id, label, residents[key].user_id, address=address
        )
    grandmother_id = str(uuid.uuid4())
    leader = await api.device("kaicho@example.jp", "会長 山本")
    async with api.parts.db.unit_of_work() as uow:
        await people.create_person(
            uow.session,
            person_id=grandmother_id,
            display_name="鈴木 ウメ",
            created_by=leader.user_id,
            birth_year=1936,
        )
        home = await households.get_household(uow.session, homes["鈴木家"])
        await households.add_household_member(uow.session, household=home, person_id=grandmother_id)
        await uow.commit()
    await grant(api, leader.user_id, Role.LEADER, association_id)
    return Street(association_id, incident_id, leader, residents, homes, grandmother_id)


async def roll_call(api: Api, s: Street, token: str | None = None) -> dict[str, Any]:
    data = await api.gql.data(
        "RollCall",
        {"associationId": s.association_id, "incidentId": s.incident_id},
        token or s.leader.token,
    )
    result: dict[str, Any] = data["rollCall"]
    return result


def by_label(call: dict[str, Any]) -> dict[str, tuple[bool, str | None]]:
    return {h["label"]: (h["answered"], h["latestCondition"]) for h in call["households"]}


async def test_before_anyone_answers_every_household_is_listed_unanswered_in_address_order(
    api: Api,
) -> None:
    s = await street(api)
    elsewhere = await new_association(api, "本町二丁目町会")
    await new_household(api, elsewhere, "隣町の家", address="本町2-1-1")

    call = await roll_call(api, s)

    assert [(h["label"], h["address"]) for h in call["households"]] == [
        ("鈴木家", "本町1-1-1"),
        ("佐藤家", "本町1-2-1"),
        ("田中家", "本町1-3-1"),
        ("高橋家", "本町1-4-1"),
    ]
    assert call["unansweredCount"] == 4
    assert all(h["answered"] is False and h["latestCondition"] is None for h in call["households"])
    assert {h["label"]: h["members"] for h in call["households"]} == {
        "鈴木家": 2,
        "佐藤家": 1,
        "田中家": 1,
        "高橋家": 1,
    }
    assert [h["id"] for h in call["households"]] == [
        s.households[k] for k in ("鈴木家", "佐藤家", "田中家", "高橋家")
    ]


async def test_a_household_answers_when_a_member_checks_in_or_the_leader_checks_them_in(
    api: Api,
) -> None:
    s = await street(api)

    applied(await check_in(s.residents["sato"], s.incident_id, "SAFE", place="HOME"))
    after_self = await roll_call(api, s)
    applied(
        await check_in(s.leader, s.incident_id, "INJURED", place="HOME", subjectId=s.grandmother_id)
    )
    after_proxy = await roll_call(api, s)

    assert by_label(after_self) == {
        "鈴木家": (False, None),
        "佐藤家": (True, "SAFE"),
        "田中家": (False, None),
        "高橋家": (False, None),
    }
    assert after_self["unansweredCount"] == 3
    assert by_label(after_proxy)["鈴木家"] == (True, "INJURED")
    assert after_proxy["unansweredCount"] == 2


async def test_the_latest_condition_of_a_household_is_the_most_urgent_of_its_members(
    api: Api,
) -> None:
    s = await street(api)
    shelter_id = await new_shelter(api)

    applied(
        await check_in(
            s.leader, s.incident_id, "NEED_HELP", place="HOME", subjectId=s.grandmother_id
        )
    )
    applied(
        await check_in(
            s.residents["suzuki"], s.incident_id, "SAFE", place="SHELTER", shelterId=shelter_id
        )
    )
    both = await roll_call(api, s)
    applied(
        await check_in(s.leader, s.incident_id, "SAFE", place="HOME", subjectId=s.grandmother_id)
    )
    both_safe = await roll_call(api, s)

    assert by_label(both)["鈴木家"] == (True, "NEED_HELP")
    assert by_label(both_safe)["鈴木家"] == (True, "SAFE")


async def test_a_member_who_hid_their_status_from_leaders_answers_without_showing_a_condition(
    api: Api,
) -> None:
    s = await street(api)
    admin_token, admin_id = await api.user("bousai@ward.example.jp", "防災課")
    await grant(api, admin_id, Role.WARD_ADMIN)
    tanaka = s.residents["tanaka"]
    applied(await act(tanaka, "setSafetyVisibility", {"leaders": False}))
    applied(await check_in(tanaka, s.incident_id, "NEED_HELP", place="HOME"))

    for_leader = await roll_call(api, s)
    for_admin = await roll_call(api, s, admin_token)

    assert by_label(for_leader)["田中家"] == (True, None)
    assert by_label(for_admin)["田中家"] == (True, "NEED_HELP")
    assert for_leader["unansweredCount"] == for_admin["unansweredCount"] == 3


async def test_only_the_associations_leaders_and_ward_admins_may_call_the_roll(api: Api) -> None:
    s = await street(api)
    other_leader_token, other_leader_id = await api.user("kaicho2@example.jp", "隣の会長")
    staff_token, staff_id = await api.user("staff@example.jp", "避難所運営")
    admin_token, admin_id = await api.user("bousai@ward.example.jp", "防災課")
    await grant(api, other_leader_id, Role.LEADER, await new_association(api, "本町二丁目町会"))
    await grant(api, staff_id, Role.SHELTER_STAFF, await new_shelter(api))
    await grant(api, admin_id, Role.WARD_ADMIN)
    variables = {"associationId": s.association_id, "incidentId": s.incident_id}

    refused = [
        await api.gql.execute("RollCall", variables, token)
        for token in (other_leader_token, staff_token, s.residents["sato"].token)
    ]
    by_admin = await roll_call(api, s, admin_token)

    for reply in refused:
        assert reply.body["data"] is None
        assert [e["extensions"]["code"] for e in reply.body["errors"]] == ["FORBIDDEN"]
    assert len(by_admin["households"]) == 4


async def test_every_roll_call_is_written_to_the_audit_log(api: Api) -> None:
    s = await street(api)

    await roll_call(api, s)
    await roll_call(api, s)
    rows = await audit_rows(api, "safety.read.rollcall")

    assert [(r.actor_id, r.subject_type, r.subject_id) for r in rows] == [
        (s.leader.user_id, "Association", s.association_id)
    ] * 2


async def test_house_numbers_are_in_street_order_so_1_2_comes_before_1_10(api: Api) -> None:
    association_id = await new_association(api)
    incident_id = await open_incident(api)
    leader_token, leader_id = await api.user("kaicho@example.jp", "会長")
    await grant(api, leader_id, Role.LEADER, association_id)
    for address in ("本町1-10", "本町1-2", "本町2-1", "本町1-9"):
        await new_household(api, association_id, f"{address}の家", address=address)

    data = await api.gql.data(
        "RollCall", {"associationId": association_id, "incidentId": incident_id}, leader_token
    )

    assert [h["address"] for h in data["rollCall"]["households"]] == [
        "本町1-2",
        "本町1-9",
        "本町1-10",
        "本町2-1",
    ]
