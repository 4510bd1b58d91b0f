"""Check-ins under SYNC.md hard cases 6 and 7 and the safety-first guard.

Case 6: two phones of one user — an offline SAFE at 10:00 arrives after an online NEED_HELP at
10:05; the status is the latest by corrected time, not by arrival. Case 7: phone clocks +3 h,
−1 day and 2099 are corrected with the offset measured on each push (serverTime − sentAt).
Safety first: a help report is not cleared by someone else's SAFE; staff resolve.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.accounts.roles import Role
from tests.conftest import Api
from tests.safety.community import (
    DeviceClock,
    ServerClock,
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
    status_key,
    status_row,
)
from tests.support.client import OutboxClient

MIN = timedelta(minutes=1)


async def second_phone(api: Api, phone: OutboxClient, clock: DeviceClock) -> OutboxClient:
    """Another installation (its own clientId and seq) of the same signed-in user."""
    return OutboxClient(api.gql, phone.token, phone.user_id, clock=clock)


# -- case 6 ---------------------------------------------------------------------------------
async def test_an_offline_safe_from_10_00_sent_after_an_online_need_help_from_10_05_does_not_clear_it(
    api: Api, server_clock: ServerClock
) -> None:
    ten = server_clock.now
    incident = await open_incident(api)
    offline = await api.device("two-phones@example.jp", "佐藤 健")
    offline.clock = DeviceClock(ten)
    online = await second_phone(api, offline, DeviceClock(ten))

    offline.enqueue("checkIn", check_in_args(incident, "SAFE", place="HOME"))  # 10:00, no network
    server_clock.advance(5 * MIN)
    online.clock.shows = server_clock.now  # 10:05, online
    help_id = applied(
        await check_in(online, incident, "NEED_HELP", place="HOME", needs=["MEDICAL"])
    )
    server_clock.advance(25 * MIN)
    offline.clock.shows = server_clock.now
    await offline.drain()  # 10:30: the network is back

    [safe_result] = offline.results.values()
    assert safe_result["status"] == "APPLIED"
    rows = await checkin_rows(api, subject_id=offline.user_id)
    assert [(r.condition, r.reported_at) for r in rows] == [
        ("SAFE", ten),
        ("NEED_HELP", ten + 5 * MIN),
    ]
    status = await status_row(api, incident, offline.user_id)
    assert status is not None
    assert (status.condition, status.checkin_id, status.disputed) == ("NEED_HELP", help_id, False)
    for phone in (offline, online):
        await phone.pull_all()
        pulled_status = pulled(phone, "SafetyStatus")[status_key(incident, offline.user_id)]
        assert (pulled_status["condition"], pulled_status["needs"]) == ("NEED_HELP", ["MEDICAL"])


async def test_a_safe_made_after_the_need_help_on_the_other_phone_clears_it(
    api: Api, server_clock: ServerClock
) -> None:
    incident = await open_incident(api)
    first = await api.device("later-safe@example.jp")
    first.clock = DeviceClock(server_clock.now)
    other = await second_phone(api, first, DeviceClock(server_clock.now))

    applied(await check_in(first, incident, "NEED_HELP"))
    server_clock.advance(10 * MIN)
    other.clock.shows = server_clock.now
    safe_id = applied(await check_in(other, incident, "SAFE"))

    status = await status_row(api, incident, first.user_id)
    assert status is not None and (status.condition, status.checkin_id) == ("SAFE", safe_id)


# -- case 7 ---------------------------------------------------------------------------------
async def test_check_ins_from_phones_three_hours_ahead_and_a_day_behind_are_placed_at_the_true_time(
    api: Api, server_clock: ServerClock
) -> None:
    now = server_clock.now
    incident = await open_incident(api)
    ahead = await api.device("ahead@example.jp")
    behind = await second_phone(api, ahead, DeviceClock(now))
    ahead.clock = DeviceClock(now - 30 * MIN + timedelta(hours=3))  # acted 30 min ago
    behind.clock.shows = now - 10 * MIN - timedelta(days=1)  # acted 10 min ago

    ahead.enqueue("checkIn", check_in_args(incident, "NEED_HELP"))
    behind.enqueue("checkIn", check_in_args(incident, "SAFE"))
    ahead.clock.shows, behind.clock.shows = now + timedelta(hours=3), now - timedelta(days=1)
    await ahead.drain()
    await behind.drain()

    need_help, safe = await checkin_rows(api, subject_id=ahead.user_id)
    assert (
        need_help.condition,
        need_help.client_time,
        need_help.reported_at,
        need_help.clock_flagged,
    ) == ("NEED_HELP", now + timedelta(hours=2, minutes=30), now - 30 * MIN, False)
    assert (safe.condition, safe.client_time, safe.reported_at, safe.clock_flagged) == (
        "SAFE",
        now - timedelta(days=1, minutes=10),
        now - 10 * MIN,
        False,
    )
    # By raw device time the NEED_HELP (shown as 2.5 h in the future) would be the latest.
    status = await status_row(api, incident, ahead.user_id)
    assert status is not None and (status.condition, status.reported_at) == ("SAFE", now - 10 * MIN)
    await ahead.pull_all()
    mine = pulled(ahead, "CheckIn")
    assert datetime.fromisoformat(mine[need_help.id]["reportedAt"]) == now - 30 * MIN
    assert datetime.fromisoformat(mine[safe.id]["reportedAt"]) == now - 10 * MIN


async def test_a_phone_set_to_2099_does_not_win_over_a_later_honest_report(
    api: Api, server_clock: ServerClock
) -> None:
    now = server_clock.now
    year_2099 = datetime(2099, 1, 1, tzinfo=UTC)
    incident = await open_incident(api)
    honest = await api.device("honest@example.jp")
    honest.clock = DeviceClock(now - 10 * MIN)
    future = await second_phone(api, honest, DeviceClock(year_2099 - 20 * MIN))

    honest.enqueue("checkIn", check_in_args(incident, "INJURED", needs=["MEDICAL"]))
    future.enqueue("checkIn", check_in_args(incident, "SAFE"))
    honest.clock.shows, future.clock.shows = now, year_2099
    await honest.drain()
    await future.drain()  # arrives last and claims the year 2099

    safe, injured = await checkin_rows(api, subject_id=honest.user_id)  # in corrected-time order
    assert (safe.condition, safe.client_time, safe.reported_at) == (
        "SAFE",
        year_2099 - 20 * MIN,
        now - 20 * MIN,
    )
    assert injured.reported_at == now - 10 * MIN
    status = await status_row(api, incident, honest.user_id)
    assert status is not None and (status.condition, status.checkin_id) == ("INJURED", injured.id)


async def test_a_check_in_stamped_after_its_batch_was_sent_is_clamped_to_arrival_and_flagged(
    api: Api, server_clock: ServerClock
) -> None:
    now = server_clock.now
    incident = await open_incident(api)
    phone = await api.device("fixed-clock@example.jp")
    phone.clock = DeviceClock(datetime(2099, 1, 1, tzinfo=UTC))
    phone.enqueue("checkIn", check_in_args(incident, "SAFE", place="HOME"))
    phone.clock.shows = now  # the clock was corrected before the phone came back online

    await phone.drain()

    [row] = await checkin_rows(api, subject_id=phone.user_id)
    assert (row.reported_at, row.clock_flagged) == (now, True)
    await phone.pull_all()
    pulled_checkin = pulled(phone, "CheckIn")[row.id]
    assert pulled_checkin["clockFlagged"] is True
    assert datetime.fromisoformat(pulled_checkin["reportedAt"]) == now


# -- safety first ---------------------------------------------------------------------------
async def _grandmother_with_family_and_leader(
    api: Api,
) -> tuple[str, str, OutboxClient, OutboxClient]:
    incident = await open_incident(api)
    association = await new_association(api)
    daughter = await api.device("daughter@example.jp", "鈴木 花子")
    leader = await api.device("leader@example.jp", "会長")
    await grant(api, leader.user_id, Role.LEADER, association)
    home = await new_household(api, association, "鈴木家", daughter.user_id)
    grandmother = await register_person(daughter, "鈴木 トメ", householdId=home, birthYear=1938)
    return incident, grandmother, daughter, leader


async def test_a_leaders_safe_does_not_clear_a_family_members_need_help_report(
    api: Api, server_clock: ServerClock
) -> None:
    incident, grandmother, daughter, leader = await _grandmother_with_family_and_leader(api)

    help_id = applied(
        await check_in(daughter, incident, "NEED_HELP", subjectId=grandmother, needs=["MOBILITY"])
    )
    server_clock.advance(20 * MIN)
    safe_id = applied(await check_in(leader, incident, "SAFE", subjectId=grandmother, place="HOME"))

    status = await status_row(api, incident, grandmother)
    assert status is not None
    assert (status.condition, status.checkin_id, status.disputed) == ("NEED_HELP", help_id, True)
    assert status.detail == {"contestedBy": safe_id}
    for viewer in (daughter, leader):  # both see the help report standing, and both reports
        await viewer.pull_all()
        seen = pulled(viewer, "SafetyStatus")[status_key(incident, grandmother)]
        assert (seen["condition"], seen["disputed"], seen["needs"]) == (
            "NEED_HELP",
            True,
            ["MOBILITY"],
        )
        assert {help_id, safe_id} <= set(pulled(viewer, "CheckIn"))


async def test_the_same_family_members_later_safe_clears_their_need_help_report(
    api: Api, server_clock: ServerClock
) -> None:
    incident, grandmother, daughter, leader = await _grandmother_with_family_and_leader(api)
    applied(await check_in(daughter, incident, "NEED_HELP", subjectId=grandmother))
    server_clock.advance(20 * MIN)
    applied(await check_in(leader, incident, "SAFE", subjectId=grandmother))
    server_clock.advance(20 * MIN)

    cleared = applied(
        await check_in(daughter, incident, "SAFE", subjectId=grandmother, place="HOME")
    )

    status = await status_row(api, incident, grandmother)
    assert status is not None
    assert (status.condition, status.checkin_id, status.disputed) == ("SAFE", cleared, False)
    await leader.pull_all()
    seen = pulled(leader, "SafetyStatus")[status_key(incident, grandmother)]
    assert (seen["condition"], seen["disputed"]) == ("SAFE", False)


async def test_shelter_staff_resolve_a_disputed_need_help_report(
    api: Api, server_clock: ServerClock
) -> None:
    incident, grandmother, daughter, leader = await _grandmother_with_family_and_leader(api)
    shelter = await new_shelter(api)
    staff = await api.device("staff@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    applied(await check_in(daughter, incident, "NEED_HELP", subjectId=grandmother))
    server_clock.advance(5 * MIN)
    applied(await check_in(leader, incident, "SAFE", subjectId=grandmother))
    server_clock.advance(5 * MIN)

    resolved = applied(
        await check_in(
            staff, incident, "SAFE", subjectId=grandmother, place="SHELTER", shelterId=shelter
        )
    )

    status = await status_row(api, incident, grandmother)
    assert status is not None
    assert (
        status.condition,
        status.place,
        status.shelter_id,
        status.disputed,
        status.checkin_id,
    ) == ("SAFE", "SHELTER", shelter, False, resolved)
    await daughter.pull_all()
    seen = pulled(daughter, "SafetyStatus")[status_key(incident, grandmother)]
    assert (seen["condition"], seen["disputed"]) == ("SAFE", False)
