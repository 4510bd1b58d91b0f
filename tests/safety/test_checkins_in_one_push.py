"""Several check-ins in one push (one transaction): each sees what the ones before it wrote,
a failed one rolls back alone, and a used id is told before any other refusal.

The check-in reads what it needs about a person in one query and keeps the reporter's roles
for the transaction (bench/checkin_surge.py); these pin down that nothing is read stale."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from backend.accounts.roles import Role
from backend.core.actions import ActionContext
from backend.safety import checkins
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
    rejected,
    status_key,
    status_row,
)


async def test_a_phone_reports_for_its_household_twice_in_one_push(api: Api) -> None:
    incident = await open_incident(api)
    association = await new_association(api)
    mother = await api.device("mother@example.jp", "鈴木 花子")
    son = await api.device("son@example.jp", "鈴木 一郎")
    await new_household(api, association, "鈴木家", mother.user_id, son.user_id)

    ids = [
        son.enqueue("checkIn", check_in_args(incident, "SAFE", place="HOME")),
        son.enqueue("checkIn", check_in_args(incident, "INJURED", subjectId=mother.user_id, place="HOME")),
        son.enqueue("checkIn", check_in_args(incident, "NEED_HELP", subjectId=mother.user_id,
                                             place="HOME", needs=["MEDICATION"])),
    ]
    await son.drain()

    assert [son.results[i]["status"] for i in ids] == ["APPLIED"] * 3
    status = await status_row(api, incident, mother.user_id)
    assert status is not None
    # The second report saw the first: the status was written twice, the latest one stands.
    assert (status.version, status.condition, status.needs) == (2, "NEED_HELP", ["MEDICATION"])
    assert {r.reporter_role for r in await checkin_rows(api, subject_id=mother.user_id)} == {"HOUSEHOLD"}


async def test_a_visibility_change_earlier_in_the_push_applies_to_the_next_check_in(api: Api) -> None:
    incident = await open_incident(api)
    association = await new_association(api)
    mother = await api.device("mother@example.jp", "鈴木 花子")
    son = await api.device("son@example.jp", "鈴木 一郎")
    await new_household(api, association, "鈴木家", mother.user_id, son.user_id)

    applied(await check_in(son, incident, "SAFE", place="HOME"))
    son.enqueue("setSafetyVisibility", {"household": False})
    son.enqueue("checkIn", check_in_args(incident, "NEED_HELP", place="HOME"))
    await son.drain()

    await mother.pull_all()
    assert status_key(incident, son.user_id) not in pulled(mother, "SafetyStatus")


async def test_a_refused_proxy_report_in_the_middle_of_a_push_rolls_back_alone(api: Api) -> None:
    incident = await open_incident(api)
    association = await new_association(api)
    shelter = await new_shelter(api)
    mother = await api.device("mother@example.jp", "鈴木 花子")
    son = await api.device("son@example.jp", "鈴木 一郎")
    stranger = await api.device("stranger@example.jp", "佐藤 三郎")
    await new_household(api, association, "鈴木家", mother.user_id, son.user_id)
    await new_household(api, association, "佐藤家", stranger.user_id)

    ids = [
        son.enqueue("checkIn", check_in_args(incident, "SAFE", place="SHELTER", shelterId=shelter)),
        son.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=stranger.user_id)),
        son.enqueue("checkIn", check_in_args(incident, "INJURED", subjectId=mother.user_id,
                                             place="SHELTER", shelterId=shelter)),
    ]
    await son.drain()

    assert [son.results[i]["status"] for i in ids] == ["APPLIED", "REJECTED", "APPLIED"]
    assert son.results[ids[1]]["code"] == "FORBIDDEN"
    assert await status_row(api, incident, stranger.user_id) is None
    status = await status_row(api, incident, mother.user_id)
    assert status is not None and (status.version, status.shelter_id) == (1, shelter)


async def test_a_used_id_is_told_before_the_reporter_is_refused(api: Api) -> None:
    incident = await open_incident(api)
    me = await api.device("me@example.jp")
    stranger = await api.device("stranger@example.jp")
    first = check_in_args(incident, "SAFE", place="HOME")
    applied(await act(me, "checkIn", first))

    # The same id, about someone the stranger may not report for: the id is what is wrong.
    again = check_in_args(incident, "SAFE", subjectId=me.user_id)
    again["id"] = first["id"]
    stranger.enqueue("checkIn", again)
    await stranger.drain()
    [result] = stranger.results.values()
    assert rejected(result) == "DUPLICATE_ID"


async def test_a_leader_reports_for_households_of_the_association_in_one_push(api: Api) -> None:
    incident = await open_incident(api)
    association = await new_association(api)
    other_association = await new_association(api, "本町二丁目町会")
    leader = await api.device("leader@example.jp", "会長")
    neighbours = [await api.device(f"n{i}@example.jp", f"住民 {i}") for i in range(3)]
    outsider = await api.device("outsider@example.jp", "よそ")
    await new_household(api, association, "会長家", leader.user_id)
    for i, n in enumerate(neighbours):
        await new_household(api, association, f"住民{i}家", n.user_id)
    await new_household(api, other_association, "よそ家", outsider.user_id)
    await grant(api, leader.user_id, Role.LEADER, association)

    ids = [leader.enqueue("checkIn", check_in_args(incident, "MISSING", subjectId=n.user_id)) for n in neighbours]
    ids.append(leader.enqueue("checkIn", check_in_args(incident, "MISSING", subjectId=outsider.user_id)))
    await leader.drain()

    assert [leader.results[i]["status"] for i in ids] == ["APPLIED"] * 3 + ["REJECTED"]
    roles = {r.reporter_role for n in neighbours for r in await checkin_rows(api, subject_id=n.user_id)}
    assert roles == {"LEADER"}


async def test_two_reports_about_one_person_at_the_same_moment_both_count(api: Api) -> None:
    """Two pushes (two transactions) report on the same person at once. Whichever commits
    second must decide the status from both reports: on PostgreSQL it finds the status
    changed under it and is sent again (NOT_PROCESSED, transient); SQLite runs one writer at
    a time, so the second one reads the first."""
    incident = await open_incident(api)
    association = await new_association(api)
    mother = await api.device("mother@example.jp", "鈴木 花子")
    son = await api.device("son@example.jp", "鈴木 一郎")
    daughter = await api.device("daughter@example.jp", "鈴木 二葉")
    await new_household(api, association, "鈴木家", mother.user_id, son.user_id, daughter.user_id)
    now = datetime.now(UTC)

    def report(reporter: str, condition: str, minutes: int) -> tuple[ActionContext, SimpleNamespace]:
        at = now + timedelta(minutes=minutes)
        ctx = ActionContext(user_id=reporter, client_id=str(uuid.uuid4()), mutation_id=str(uuid.uuid4()),
                            client_time=at, corrected_time=at, clock_flagged=False, received_at=now)
        args = SimpleNamespace(id=str(uuid.uuid4()), incident_id=incident, subject_id=mother.user_id,
                               condition=condition, place="HOME", shelter_id=None, needs=None,
                               comment=None, location=None)
        return ctx, args

    first_done, first_commit = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with api.parts.db.unit_of_work() as uow:
            await checkins.check_in(uow.session, *report(son.user_id, "INJURED", 0))
            first_done.set()
            await first_commit.wait()
            await uow.commit()

    async def second() -> bool:
        """True if it had to be sent again."""
        await first_done.wait()
        ctx, args = report(daughter.user_id, "SAFE", 5)
        for attempt in range(3):
            try:
                async with api.parts.db.unit_of_work() as uow:
                    await checkins.check_in(uow.session, ctx, args)
                    await uow.commit()
                return attempt > 0
            except checkins.StatusChanged:
                continue
        raise AssertionError("never applied")

    task = asyncio.create_task(first())
    retried = asyncio.create_task(second())
    await first_done.wait()
    await asyncio.sleep(0.3)  # the second transaction is now waiting on the first (PostgreSQL)
    first_commit.set()
    await task
    await retried

    status = await status_row(api, incident, mother.user_id)
    assert status is not None
    # Both reports count: a SAFE from someone else does not clear the injury; staff see both.
    assert (status.version, status.condition, status.disputed) == (2, "INJURED", True)
    assert len(await checkin_rows(api, subject_id=mother.user_id)) == 2
