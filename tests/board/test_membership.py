"""Joining an association: invite codes, join requests a leader approves, officers, several
associations per person, and which association's area holds a point."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.board.models import AssociationInvite
from backend.core.clock import utcnow
from tests.board.street import (
    act,
    create_post,
    gql,
    invite,
    join,
    new_association,
    post_args,
    pulled,
    rejected,
    square,
    street,
)
from tests.conftest import Api


async def test_a_resident_who_joins_with_an_invite_gets_a_one_person_household_named_after_them(api: Api) -> None:
    s = await street(api)
    resident = await api.device("hanako@example.jp", "鈴木 花子")
    code = await invite(api, s.leader, s.association_id)

    joined = await join(api, resident, code)

    assert joined["__typename"] == "Membership"
    assert joined["associationId"] == s.association_id
    await resident.pull_all()
    household = pulled(resident, "Household")[joined["householdId"]]
    assert (household["label"], household["memberIds"]) == ("鈴木 花子", [resident.user_id])
    assert pulled(resident, "Association")[s.association_id]["name"] == "本町一丁目町会"
    assert pulled(resident, "AssociationMember")[f"{s.association_id}:{resident.user_id}"]["office"] == ""


async def test_joining_twice_keeps_one_membership_and_one_household(api: Api) -> None:
    s = await street(api)
    resident = await api.device("hanako@example.jp", "鈴木 花子")
    first = await join(api, resident, await invite(api, s.leader, s.association_id))

    again = await join(api, resident, await invite(api, s.leader, s.association_id))

    assert again["householdId"] == first["householdId"]
    await resident.pull_all()
    assert list(pulled(resident, "Household")) == [first["householdId"]]


async def test_someone_already_in_a_household_joins_without_a_new_one(api: Api) -> None:
    s = await street(api)
    mother = await s.resident("mother@example.jp", "田中 恵")
    await mother.pull_all()
    [home] = pulled(mother, "Household")
    son = await api.device("son@example.jp", "田中 一郎")
    assert (await act(s.leader, "addHouseholdMember", {"householdId": home, "personId": son.user_id}))[
        "status"] == "APPLIED"

    joined = await join(api, son, await invite(api, s.leader, s.association_id))

    assert joined["householdId"] == home


async def test_an_unknown_or_expired_invite_is_refused_with_a_stable_code(api: Api) -> None:
    s = await street(api)
    resident = await api.device("hanako@example.jp")
    code = await invite(api, s.leader, s.association_id)
    async with api.parts.db.unit_of_work() as uow:
        await uow.session.execute(sa.update(AssociationInvite).values(expires_at=utcnow() - timedelta(seconds=1)))
        await uow.commit()

    expired = await join(api, resident, code)
    unknown = await join(api, resident, "no-such-code")

    assert (expired["__typename"], expired["code"]) == ("BoardError", "INVITE_INVALID")
    assert unknown["code"] == "INVITE_INVALID"


async def test_only_leaders_of_the_association_create_invites(api: Api) -> None:
    s = await street(api)
    other = await street(api, "本町二丁目町会", leader_email="other@example.jp")
    resident = await s.resident("hanako@example.jp")

    by_resident = (await gql(api, "CreateInvite", {"associationId": s.association_id}, resident))["createInvite"]
    by_other_leader = (await gql(api, "CreateInvite", {"associationId": s.association_id}, other.leader))[
        "createInvite"]
    unknown = (await gql(api, "CreateInvite", {"associationId": "00000000-0000-4000-8000-000000000000"},
                         s.leader))["createInvite"]

    assert (by_resident["code"], by_other_leader["code"], unknown["code"]) == ("FORBIDDEN", "FORBIDDEN", "NOT_FOUND")


async def test_a_join_request_makes_a_member_once_a_leader_approves_it(api: Api) -> None:
    s = await street(api)
    newcomer = await api.device("linh@example.jp", "グエン・リン")
    asked = (await gql(api, "RequestToJoin", {"associationId": s.association_id, "message": "3丁目に越してきました"},
                       newcomer))["requestToJoin"]
    await s.leader.pull_all()
    pending = pulled(s.leader, "JoinRequest")[asked["id"]]
    assert (pending["status"], pending["displayName"], pending["message"]) == (
        "PENDING", "グエン・リン", "3丁目に越してきました")
    refused_before = rejected(await act(newcomer, "createPost", post_args(s.association_id)))

    approved = (await gql(api, "DecideJoinRequest", {"requestId": asked["id"], "approve": True}, s.leader))[
        "decideJoinRequest"]
    await create_post(newcomer, s.association_id, title="よろしくお願いします")

    assert refused_before == "FORBIDDEN"
    assert approved["status"] == "APPROVED"
    await newcomer.pull_all()
    assert pulled(newcomer, "JoinRequest")[asked["id"]]["status"] == "APPROVED"
    assert [h["label"] for h in pulled(newcomer, "Household").values()] == ["グエン・リン"]


async def test_a_declined_request_makes_no_member_and_only_leaders_decide(api: Api) -> None:
    s = await street(api)
    newcomer = await api.device("linh@example.jp")
    resident = await s.resident("hanako@example.jp")
    asked = (await gql(api, "RequestToJoin", {"associationId": s.association_id}, newcomer))["requestToJoin"]

    by_resident = (await gql(api, "DecideJoinRequest", {"requestId": asked["id"], "approve": True}, resident))[
        "decideJoinRequest"]
    declined = (await gql(api, "DecideJoinRequest", {"requestId": asked["id"], "approve": False}, s.leader))[
        "decideJoinRequest"]
    twice = (await gql(api, "DecideJoinRequest", {"requestId": asked["id"], "approve": True}, s.leader))[
        "decideJoinRequest"]

    assert (by_resident["code"], declined["status"], twice["code"]) == ("FORBIDDEN", "DECLINED", "VALIDATION")
    assert rejected(await act(newcomer, "createPost", post_args(s.association_id))) == "FORBIDDEN"


async def test_a_person_belongs_to_several_associations_and_sees_each_board(api: Api) -> None:
    home = await street(api)
    work = await street(api, "駅前商店会", leader_email="shoten@example.jp")
    resident = await home.resident("hanako@example.jp", "鈴木 花子")
    await join(api, resident, await invite(api, work.leader, work.association_id))

    await create_post(resident, home.association_id, title="町会の投稿")
    await create_post(resident, work.association_id, title="商店会の投稿")

    await resident.pull_all()
    assert {p["title"] for p in pulled(resident, "Post").values()} == {"町会の投稿", "商店会の投稿"}
    assert set(pulled(resident, "Association")) == {home.association_id, work.association_id}
    assert len(pulled(resident, "Household")) == 2


async def test_officers_named_by_a_leader_send_circulars_and_plain_members_cannot(api: Api) -> None:
    s = await street(api)
    treasurer = await s.resident("kaikei@example.jp", "会計 佐藤")
    member = await s.resident("hanako@example.jp")

    named = (await gql(api, "SetOffice", {"associationId": s.association_id, "userId": treasurer.user_id,
                                          "office": "会計"}, s.leader))["setOffice"]
    by_member = (await gql(api, "SetOffice", {"associationId": s.association_id, "userId": member.user_id,
                                              "office": "会長"}, member))["setOffice"]

    assert (named["office"], by_member["code"]) == ("会計", "FORBIDDEN")
    await create_post(treasurer, s.association_id, "CIRCULAR", title="会費のお知らせ")
    assert rejected(await act(member, "createPost", post_args(s.association_id, "CIRCULAR"))) == "FORBIDDEN"
    assert rejected(await act(member, "createPost", post_args(s.association_id, "BROADCAST"))) == "FORBIDDEN"


async def test_leaders_add_groups_that_members_pull_with_the_association(api: Api) -> None:
    s = await street(api)
    member = await s.resident("hanako@example.jp")

    made = (await gql(api, "CreateGroup", {"associationId": s.association_id, "name": "3班"}, s.leader))[
        "createGroup"]
    twice = (await gql(api, "CreateGroup", {"associationId": s.association_id, "name": "3班"}, s.leader))[
        "createGroup"]
    by_member = (await gql(api, "CreateGroup", {"associationId": s.association_id, "name": "4班"}, member))[
        "createGroup"]

    assert (made["name"], twice["code"], by_member["code"]) == ("3班", "VALIDATION", "FORBIDDEN")
    await member.pull_all()
    assert pulled(member, "Association")[s.association_id]["groups"] == ["3班"]


async def test_the_association_whose_area_holds_a_point_is_found_and_the_smallest_wins(api: Api) -> None:
    ward = await new_association(api, "東池袋連合町会", area=square(139.70, 35.72, 0.02))
    block = await new_association(api, "東池袋一丁目町会", area=square(139.71, 35.725, 0.005))
    await new_association(api, "区域のない町会")

    inside_block = await api.gql.data("AssociationAt", {"lat": 35.727, "lon": 139.712})
    inside_ward = await api.gql.data("AssociationAt", {"lat": 35.735, "lon": 139.701})
    outside = await api.gql.data("AssociationAt", {"lat": 35.60, "lon": 139.60})

    assert inside_block["associationAt"]["id"] == block
    assert inside_ward["associationAt"] == {"id": ward, "name": "東池袋連合町会", "isOpen": False}
    assert outside["associationAt"] is None


async def test_ward_admins_create_associations_and_a_bad_area_is_refused(api: Api) -> None:
    from backend.accounts.roles import Role
    from tests.board.street import grant

    admin = await api.device("bousai@example.jp", "防災課")
    resident = await api.device("hanako@example.jp")
    await grant(api, admin.user_id, Role.WARD_ADMIN)

    made = (await gql(api, "CreateAssociation", {"name": "新町会", "area": square(139.7, 35.7, 0.01)}, admin))[
        "createAssociation"]
    bad_area = (await gql(api, "CreateAssociation", {"name": "新町会", "area": "{\"type\": \"Point\"}"}, admin))[
        "createAssociation"]
    by_resident = (await gql(api, "CreateAssociation", {"name": "新町会"}, resident))["createAssociation"]

    assert made["name"] == "新町会"
    assert (bad_area["code"], by_resident["code"]) == ("VALIDATION", "FORBIDDEN")
    found = await api.gql.data("AssociationAt", {"lat": 35.705, "lon": 139.705})
    assert found["associationAt"]["id"] == made["id"]
