"""Households and people without accounts: createHousehold / addHouseholdMember,
registerPerson (into a household, or at shelter reception) and linkPersons (staff merge the
same person registered twice)."""

from __future__ import annotations

import uuid

from backend.accounts.roles import Role
from tests.conftest import Api
from tests.safety.community import (
    act,
    applied,
    check_in,
    checkin_rows,
    grant,
    household_member_ids,
    join_association,
    new_association,
    new_household,
    new_shelter,
    open_incident,
    person_row,
    pulled,
    register_person,
    rejected,
    status_key,
    status_row,
)


# -- households -----------------------------------------------------------------------------
async def test_a_member_of_the_association_creates_their_own_household(api: Api) -> None:
    association = await new_association(api)
    resident = await api.device("resident@example.jp", "佐藤 健")
    await join_association(api, association, resident.user_id)
    household_id = str(uuid.uuid4())

    result = await act(
        resident,
        "createHousehold",
        {
            "id": household_id,
            "associationId": association,
            "label": "佐藤家",
            "address": "1-2-3",
            "joinSelf": True,
        },
    )

    # API.md: a new entity starts at version 1, however many rows the action wrote.
    assert (applied(result), result["entityType"], result["version"]) == (
        household_id,
        "Household",
        1,
    )
    await resident.pull_all()
    household = pulled(resident, "Household")[household_id]
    assert (household["label"], household["memberIds"]) == ("佐藤家", [resident.user_id])


async def test_a_resident_outside_the_association_cannot_create_a_household_in_it(api: Api) -> None:
    association = await new_association(api)
    outsider = await api.device("outsider@example.jp")
    member = await api.device("member@example.jp")
    await join_association(api, association, member.user_id)
    args = {"associationId": association, "label": "某家"}

    assert (
        rejected(
            await act(
                outsider, "createHousehold", {"id": str(uuid.uuid4()), **args, "joinSelf": True}
            )
        )
        == "FORBIDDEN"
    )
    # Residents create only their own household; recording other households is for leaders.
    assert (
        rejected(await act(member, "createHousehold", {"id": str(uuid.uuid4()), **args}))
        == "FORBIDDEN"
    )


async def test_only_a_leader_adds_a_person_to_a_household(api: Api) -> None:
    association = await new_association(api)
    resident = await api.device("resident@example.jp", "佐藤 健")
    partner = await api.device("partner@example.jp", "佐藤 恵")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    home = await new_household(api, association, "佐藤家", resident.user_id)

    refused = rejected(
        await act(
            resident, "addHouseholdMember", {"householdId": home, "personId": partner.user_id}
        )
    )
    added = await act(
        leader, "addHouseholdMember", {"householdId": home, "personId": partner.user_id}
    )
    again = rejected(
        await act(leader, "addHouseholdMember", {"householdId": home, "personId": partner.user_id})
    )

    assert refused == "FORBIDDEN" and again == "VALIDATION"
    assert applied(added) == home
    assert await household_member_ids(api, home) == {resident.user_id, partner.user_id}
    await partner.pull_all()
    assert pulled(partner, "Household")[home]["memberIds"] == sorted(
        [resident.user_id, partner.user_id]
    )


async def test_someone_added_to_a_household_after_checking_in_is_seen_by_the_household(
    api: Api,
) -> None:
    """Visibility follows membership: the household sees the status the newcomer already had."""
    incident = await open_incident(api)
    association = await new_association(api)
    resident = await api.device("resident@example.jp", "佐藤 健")
    partner = await api.device("partner@example.jp", "佐藤 恵")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    home = await new_household(api, association, "佐藤家", resident.user_id)
    applied(await check_in(partner, incident, "NEED_HELP", place="HOME"))

    applied(
        await act(leader, "addHouseholdMember", {"householdId": home, "personId": partner.user_id})
    )

    await resident.pull_all()
    assert status_key(incident, partner.user_id) in pulled(resident, "SafetyStatus")


async def test_members_with_their_own_accounts_see_each_other_by_name(api: Api) -> None:
    """The household screen lists every member by name, not only those registered by others."""
    association = await new_association(api)
    resident = await api.device("resident@example.jp", "佐藤 健")
    partner = await api.device("partner@example.jp", "佐藤 恵")
    neighbour = await api.device("neighbour@example.jp", "鈴木 一郎")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    home = await new_household(api, association, "佐藤家", resident.user_id)

    applied(await act(leader, "addHouseholdMember", {"householdId": home, "personId": partner.user_id}))

    for device in (resident, partner, leader):
        await device.pull_all()
        names = {i: p["displayName"] for i, p in pulled(device, "Person").items()}
        assert names == {resident.user_id: "佐藤 健", partner.user_id: "佐藤 恵"}, device.user_id
    await neighbour.pull_all()
    assert pulled(neighbour, "Person") == {}


# -- registerPerson -------------------------------------------------------------------------
async def test_a_resident_registers_a_family_member_without_a_phone_into_their_household(
    api: Api,
) -> None:
    incident = await open_incident(api)
    association = await new_association(api)
    daughter = await api.device("daughter@example.jp", "鈴木 花子")
    husband = await api.device("husband@example.jp", "鈴木 太郎")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    home = await new_household(api, association, "鈴木家", daughter.user_id, husband.user_id)

    grandmother = await register_person(
        daughter, "鈴木 トメ", householdId=home, nameKana="スズキ トメ", birthYear=1938
    )
    applied(
        await check_in(daughter, incident, "NEED_HELP", subjectId=grandmother, needs=["MOBILITY"])
    )

    row = await person_row(api, grandmother)
    assert row is not None
    assert (row.user_id, row.display_name, row.search_kana, row.birth_year, row.created_by) == (
        None,
        "鈴木 トメ",
        "すずきとめ",
        1938,
        daughter.user_id,
    )
    assert await household_member_ids(api, home) == {daughter.user_id, husband.user_id, grandmother}
    for viewer in (husband, leader):
        await viewer.pull_all()
        assert pulled(viewer, "Person")[grandmother] == {
            "id": grandmother,
            "displayName": "鈴木 トメ",
            "hasAccount": False,
            "birthYear": 1938,
        }
        assert grandmother in pulled(viewer, "Household")[home]["memberIds"]
        assert (
            pulled(viewer, "SafetyStatus")[status_key(incident, grandmother)]["condition"]
            == "NEED_HELP"
        )


async def test_a_resident_cannot_register_a_person_into_someone_elses_household(api: Api) -> None:
    association = await new_association(api)
    resident = await api.device("resident@example.jp", "鈴木 花子")
    neighbour = await api.device("neighbour@example.jp", "田中 進")
    await new_household(api, association, "鈴木家", resident.user_id)
    theirs = await new_household(api, association, "田中家", neighbour.user_id)
    person_id = str(uuid.uuid4())

    code = rejected(
        await act(
            resident,
            "registerPerson",
            {"id": person_id, "displayName": "田中 ハル", "householdId": theirs},
        )
    )

    assert code == "FORBIDDEN"
    assert await person_row(api, person_id) is None
    assert await household_member_ids(api, theirs) == {neighbour.user_id}


async def test_a_resident_cannot_register_a_person_outside_any_household(api: Api) -> None:
    resident = await api.device("resident@example.jp")
    person_id = str(uuid.uuid4())

    assert (
        rejected(await act(resident, "registerPerson", {"id": person_id, "displayName": "誰か"}))
        == "FORBIDDEN"
    )
    assert await person_row(api, person_id) is None


async def test_a_leader_registers_a_person_into_a_household_of_their_association(api: Api) -> None:
    association = await new_association(api)
    resident = await api.device("resident@example.jp", "田中 進")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    home = await new_household(api, association, "田中家", resident.user_id)

    person = await register_person(leader, "田中 ハル", householdId=home)

    assert await household_member_ids(api, home) == {resident.user_id, person}


async def test_shelter_staff_register_a_person_at_reception_with_birth_year_and_phone(
    api: Api,
) -> None:
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)

    person = await register_person(
        staff, "山本 正", nameKana="ﾔﾏﾓﾄ ﾀﾀﾞｼ", birthYear=1950, phone="０９０-１２３４-５６７８"
    )
    implausible = rejected(
        await act(
            staff,
            "registerPerson",
            {"id": str(uuid.uuid4()), "displayName": "山本 正", "birthYear": 1850},
        )
    )
    bad_phone = rejected(
        await act(
            staff,
            "registerPerson",
            {"id": str(uuid.uuid4()), "displayName": "山本 正", "phone": "12-34"},
        )
    )
    nameless = rejected(
        await act(staff, "registerPerson", {"id": str(uuid.uuid4()), "displayName": "  "})
    )

    row = await person_row(api, person)
    assert row is not None
    assert (row.birth_year, row.phone_digits, row.search_kana, row.created_by) == (
        1950,
        "09012345678",
        "やまもとただし",
        staff.user_id,
    )
    assert implausible == bad_phone == nameless == "VALIDATION"
    await staff.pull_all()
    assert pulled(staff, "Person")[person]["birthYear"] == 1950
    assert (
        "phone" not in str(pulled(staff, "Person")[person]).lower()
    )  # the phone is for matching only


# -- linkPersons ----------------------------------------------------------------------------
async def test_staff_merge_a_person_registered_twice_and_the_duplicate_disappears(api: Api) -> None:
    incident = await open_incident(api)
    association = await new_association(api)
    shelter = await new_shelter(api)
    daughter = await api.device("daughter@example.jp", "鈴木 花子")
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    home = await new_household(api, association, "鈴木家", daughter.user_id)
    grandmother = await register_person(daughter, "鈴木 トメ", householdId=home)
    help_id = applied(
        await check_in(daughter, incident, "NEED_HELP", subjectId=grandmother, needs=["MOBILITY"])
    )
    at_reception = await register_person(staff, "すずき とめ", birthYear=1938)
    safe_id = applied(
        await check_in(
            staff, incident, "SAFE", subjectId=at_reception, place="SHELTER", shelterId=shelter
        )
    )
    await staff.pull_all()
    assert status_key(incident, at_reception) in pulled(staff, "SafetyStatus")

    merged = await act(staff, "linkPersons", {"personId": grandmother, "duplicateId": at_reception})

    assert applied(merged) == grandmother
    assert {r.id for r in await checkin_rows(api, subject_id=grandmother)} == {help_id, safe_id}
    assert await checkin_rows(api, subject_id=at_reception) == []
    assert await status_row(api, incident, at_reception) is None
    status = await status_row(api, incident, grandmother)
    assert status is not None  # staff resolved the help report: she is safe at the shelter
    assert (
        status.condition,
        status.place,
        status.shelter_id,
        status.checkin_id,
        status.disputed,
    ) == ("SAFE", "SHELTER", shelter, safe_id, False)
    duplicate = await person_row(api, at_reception)
    assert duplicate is not None and duplicate.merged_into == grandmother
    await staff.pull_all()
    assert at_reception not in pulled(staff, "Person")
    assert status_key(incident, at_reception) not in pulled(staff, "SafetyStatus")
    assert pulled(staff, "SafetyStatus")[status_key(incident, grandmother)]["condition"] == "SAFE"
    assert pulled(staff, "CheckIn")[safe_id]["subjectId"] == grandmother
    await daughter.pull_all()
    assert (
        pulled(daughter, "SafetyStatus")[status_key(incident, grandmother)]["checkInId"] == safe_id
    )
    assert {help_id, safe_id} <= set(pulled(daughter, "CheckIn"))
    # The staff member's check-in changed subject, so its version moves on (API.md), or a
    # client keeping the higher version would still file it under the duplicate.
    assert staff.replica[("CheckIn", safe_id)]["version"] == 2


async def test_a_check_in_about_a_merged_duplicate_lands_on_the_surviving_record(api: Api) -> None:
    incident = await open_incident(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    first = await register_person(staff, "山本 正", birthYear=1950)
    second = await register_person(staff, "山本 正", birthYear=1950)
    applied(await act(staff, "linkPersons", {"personId": first, "duplicateId": second}))

    checkin_id = applied(
        await check_in(
            staff, incident, "INJURED", subjectId=second, place="SHELTER", shelterId=shelter
        )
    )

    [row] = await checkin_rows(api, id=checkin_id)
    assert row.subject_id == first
    assert await status_row(api, incident, second) is None


async def test_merging_moves_the_duplicates_household_membership_to_the_surviving_record(
    api: Api,
) -> None:
    association = await new_association(api)
    shelter = await new_shelter(api)
    son = await api.device("son@example.jp", "田中 一郎")
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    home = await new_household(api, association, "田中家", son.user_id)
    registered_by_son = await register_person(son, "田中 ハル", householdId=home)
    at_reception = await register_person(staff, "田中 ハル")
    await son.pull_all()
    version_before = son.replica[("Household", home)]["version"]

    applied(
        await act(
            staff, "linkPersons", {"personId": at_reception, "duplicateId": registered_by_son}
        )
    )

    assert await household_member_ids(api, home) == {son.user_id, at_reception}
    await son.pull_all()
    assert pulled(son, "Household")[home]["memberIds"] == sorted([son.user_id, at_reception])
    assert registered_by_son not in pulled(son, "Person")
    # The household changed, so its version moves on (API.md: every change bumps it by one);
    # a client that keeps the higher version would otherwise ignore the new member list.
    assert son.replica[("Household", home)]["version"] == version_before + 1


async def test_only_shelter_staff_or_ward_admins_merge_records(api: Api) -> None:
    association = await new_association(api)
    daughter = await api.device("daughter@example.jp", "鈴木 花子")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    home = await new_household(api, association, "鈴木家", daughter.user_id)
    first = await register_person(daughter, "鈴木 トメ", householdId=home)
    second = await register_person(daughter, "鈴木 とめ", householdId=home)

    for someone in (daughter, leader):
        assert (
            rejected(await act(someone, "linkPersons", {"personId": first, "duplicateId": second}))
            == "FORBIDDEN"
        )

    duplicate = await person_row(api, second)
    assert duplicate is not None and duplicate.merged_into is None
    assert await household_member_ids(api, home) == {daughter.user_id, first, second}


async def test_a_person_with_an_account_is_never_merged_into_another_record(api: Api) -> None:
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    resident = await api.device("resident@example.jp", "山本 正")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    applied(
        await act(resident, "setSafetyVisibility", {"publicSearch": False})
    )  # makes their person row
    registered = await register_person(staff, "山本 正")

    code = rejected(
        await act(staff, "linkPersons", {"personId": registered, "duplicateId": resident.user_id})
    )
    same = rejected(
        await act(staff, "linkPersons", {"personId": registered, "duplicateId": registered})
    )

    assert code == same == "VALIDATION"
