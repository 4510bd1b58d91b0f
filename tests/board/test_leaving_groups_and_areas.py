"""Leaving an association (its households keep their receipts), leaders moving a household to
another group (班), and ward admins redrawing an association's area."""

from __future__ import annotations

import uuid

from backend.accounts.roles import Role
from tests.board.street import (
    act,
    applied,
    board,
    create_post,
    gql,
    grant,
    invite,
    join,
    new_association,
    post_args,
    pulled,
    receipts,
    rejected,
    square,
    street,
)
from tests.conftest import Api


async def test_a_member_who_leaves_stops_seeing_the_closed_board_and_their_receipts_stay(api: Api) -> None:
    s = await street(api)
    hanako = await s.resident("hanako@example.jp", "鈴木 花子")
    await s.resident("tom@example.jp", "Tom")
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="防災訓練", rsvp=True)
    applied(await act(hanako, "rsvpCircular", {"postId": circular, "answer": "ATTEND"}))
    await hanako.pull_all()
    [home] = pulled(hanako, "Household")

    left = await act(hanako, "leaveAssociation", {"associationId": s.association_id})
    again = await act(hanako, "leaveAssociation", {"associationId": s.association_id})
    await create_post(s.leader, s.association_id, title="新しいお知らせ")

    assert (left["status"], left["entityType"]) == ("APPLIED", "AssociationMember")
    assert rejected(again) == "NOT_FOUND"
    assert (await board(api, hanako, s.association_id)).body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert rejected(await act(hanako, "createPost", post_args(s.association_id))) == "FORBIDDEN"
    await hanako.pull_all()  # starts over: what it could see changed
    assert pulled(hanako, "Post") == {} and pulled(hanako, "Association") == {}
    assert pulled(hanako, "Household") == {} and pulled(hanako, "AssociationMember") == {}
    found = await receipts(api, s.leader, circular)
    kept = {h["id"]: (h["label"], h["read"], h["rsvp"]) for h in found["households"]}
    assert kept[home] == ("鈴木 花子", True, "ATTEND"), "the household and its receipt stay: history"
    assert (found["readCount"], found["unreadCount"], found["rsvp"]["attend"]) == (1, 1, 1)
    await s.leader.pull_all()
    assert pulled(s.leader, "Household")[home]["memberIds"] == [], "the leaders no longer see her there"
    assert f"{s.association_id}:{hanako.user_id}" not in pulled(s.leader, "AssociationMember")


async def test_someone_who_left_an_open_association_still_reads_it_and_may_join_again(api: Api) -> None:
    association = await new_association(api, "オープン町会", is_open=True)
    leader = await api.device("kaicho@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    resident = await api.device("hanako@example.jp", "花子")
    await join(api, resident, await invite(api, leader, association))
    await create_post(leader, association, title="公開のお知らせ")

    applied(await act(resident, "leaveAssociation", {"associationId": association}))
    page = (await board(api, resident, association)).body["data"]["board"]
    again = await join(api, resident, await invite(api, leader, association))

    assert [e["node"]["title"] for e in page["edges"]] == ["公開のお知らせ"]
    assert again["__typename"] == "Membership"
    assert rejected(await act(resident, "leaveAssociation", {"associationId": str(uuid.uuid4())})) == "NOT_FOUND"


async def test_leaders_move_a_household_to_another_group_that_exists(api: Api) -> None:
    s = await street(api)
    hanako = await s.resident("hanako@example.jp")
    for name in ("1班", "2班"):
        await gql(api, "CreateGroup", {"associationId": s.association_id, "name": name}, s.leader)
    await hanako.pull_all()
    [home] = pulled(hanako, "Household")

    moved = await act(s.leader, "setHouseholdGroup", {"householdId": home, "groupName": " 2班 "})
    same = await act(s.leader, "setHouseholdGroup", {"householdId": home, "groupName": "2班"})
    unknown = await act(s.leader, "setHouseholdGroup", {"householdId": home, "groupName": "9班"})
    by_member = await act(hanako, "setHouseholdGroup", {"householdId": home, "groupName": "1班"})
    nowhere = await act(s.leader, "setHouseholdGroup", {"householdId": str(uuid.uuid4()), "groupName": "1班"})

    assert (moved["status"], moved["version"], same["version"]) == ("APPLIED", 2, 2)
    assert (rejected(unknown), rejected(by_member), rejected(nowhere)) == ("VALIDATION", "FORBIDDEN", "NOT_FOUND")
    await hanako.pull_all()
    assert pulled(hanako, "Household")[home]["groupName"] == "2班"
    cleared = await act(s.leader, "setHouseholdGroup", {"householdId": home, "groupName": ""})
    await hanako.pull_all()
    assert (cleared["version"], pulled(hanako, "Household")[home]["groupName"]) == (3, "")


async def test_ward_admins_redraw_an_association_area_and_the_point_lookup_follows(api: Api) -> None:
    s = await street(api)
    admin = await api.device("bousai@example.jp", "防災課")
    await grant(api, admin.user_id, Role.WARD_ADMIN)
    old_area, new_area = square(139.70, 35.72, 0.01), square(139.80, 35.60, 0.01)

    drawn = await act(admin, "setAssociationArea", {"associationId": s.association_id, "area": old_area})
    redrawn = await act(admin, "setAssociationArea", {"associationId": s.association_id, "area": new_area})
    bad = await act(admin, "setAssociationArea", {"associationId": s.association_id, "area": '{"type": "Point"}'})
    huge = await act(admin, "setAssociationArea", {"associationId": s.association_id, "area": " " * 200_001})
    by_leader = await act(s.leader, "setAssociationArea", {"associationId": s.association_id, "area": old_area})

    assert (drawn["version"], redrawn["version"]) == (2, 3)
    assert (rejected(bad), rejected(huge), rejected(by_leader)) == ("VALIDATION", "VALIDATION", "FORBIDDEN")
    at_old = await api.gql.data("AssociationAt", {"lat": 35.725, "lon": 139.705})
    at_new = await api.gql.data("AssociationAt", {"lat": 35.605, "lon": 139.805})
    assert (at_old["associationAt"], at_new["associationAt"]["id"]) == (None, s.association_id)
    cleared = await act(admin, "setAssociationArea", {"associationId": s.association_id, "area": None})
    at_new = await api.gql.data("AssociationAt", {"lat": 35.605, "lon": 139.805})
    assert (cleared["version"], at_new["associationAt"]) == (4, None)
    await s.leader.pull_all()
    assert pulled(s.leader, "Association")[s.association_id]["hasArea"] is False
