"""A leader's door-knock list or a reception desk: many check-ins about different people in
one push, read and written together (backend/safety/checkin_batch.py, core/batching.py).

The batch must decide exactly what the check-ins would decide one at a time: same statuses,
same refusals, same feed; and when its combined write fails, the push runs again one
check-in at a time, with nothing applied twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from backend.accounts.roles import Role
from backend.safety import checkin_batch
from tests.conftest import Api
from tests.safety.community import (
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

DOORS = 12


async def _street(api: Api) -> tuple[str, str, Any, list[Any]]:
    """An incident, an association with its leader and DOORS households of one resident each."""
    incident = await open_incident(api)
    association = await new_association(api)
    leader = await api.device("leader@example.jp", "会長 山田")
    await new_household(api, association, "山田家", leader.user_id)
    await grant(api, leader.user_id, Role.LEADER, association)
    neighbours = []
    for i in range(DOORS):
        neighbour = await api.device(f"n{i}@example.jp", f"住民 {i}")
        await new_household(api, association, f"住民{i}家", neighbour.user_id, address=f"本町1-{i + 1}")
        neighbours.append(neighbour)
    return incident, association, leader, neighbours


@contextmanager
def counted_statements(api: Api) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = api.parts.db.write_engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


async def test_a_door_knock_push_records_every_household_as_one_at_a_time_would(api: Api) -> None:
    incident, _, leader, neighbours = await _street(api)
    shelter = await new_shelter(api)
    conditions = ["SAFE", "NEED_HELP", "INJURED", "MISSING"]
    ids = [
        leader.enqueue("checkIn", check_in_args(
            incident, conditions[i % 4], subjectId=n.user_id,
            **({"place": "SHELTER", "shelterId": shelter} if i % 3 == 0 else {"place": "HOME"}),
        ))
        for i, n in enumerate(neighbours)
    ]
    await leader.drain()

    assert [leader.results[i]["status"] for i in ids] == ["APPLIED"] * DOORS
    for i, n in enumerate(neighbours):
        status = await status_row(api, incident, n.user_id)
        assert status is not None
        assert (status.version, status.condition, status.reporter_id) == (1, conditions[i % 4], leader.user_id)
        assert status.shelter_id == (shelter if i % 3 == 0 else None)
        # Each resident's own phone sees what the leader reported about them.
        await n.pull_all()
        mine = pulled(n, "SafetyStatus")[status_key(incident, n.user_id)]
        assert (mine["condition"], mine["checkInId"]) == (conditions[i % 4], leader.results[ids[i]]["entityId"])
        [report] = await checkin_rows(api, subject_id=n.user_id)
        assert report.reporter_role == "LEADER"


async def test_a_push_of_many_check_ins_reads_and_writes_in_a_fixed_number_of_statements(api: Api) -> None:
    incident, _, leader, neighbours = await _street(api)
    await leader.drain()  # registers the phone: the push below is an ordinary one

    for n in neighbours[:3]:
        leader.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=n.user_id, place="HOME"))
    with counted_statements(api) as few:
        await leader.drain()
    for n in neighbours[3:]:
        leader.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=n.user_id, place="HOME"))
    with counted_statements(api) as many:
        await leader.drain()

    # Three times as many check-ins, the same statements: nothing is read or written per check-in.
    assert len(many) == len(few), "\n".join(s.split("\n")[0][:100] for s in many)
    assert all(r["status"] == "APPLIED" for r in leader.results.values())


async def test_one_person_twice_in_a_large_push_is_decided_from_the_first_report(api: Api) -> None:
    incident, _, leader, neighbours = await _street(api)
    first, second = neighbours[0], neighbours[1]
    ids = [
        leader.enqueue("checkIn", check_in_args(incident, "INJURED", subjectId=first.user_id, place="HOME")),
        leader.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=second.user_id, place="HOME")),
        leader.enqueue("checkIn", check_in_args(incident, "NEED_HELP", subjectId=first.user_id, place="HOME",
                                                needs=["MEDICAL"])),
        leader.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=neighbours[2].user_id, place="HOME")),
    ]
    await leader.drain()

    assert [leader.results[i]["status"] for i in ids] == ["APPLIED"] * 4
    status = await status_row(api, incident, first.user_id)
    assert status is not None
    assert (status.version, status.condition, status.needs) == (2, "NEED_HELP", ["MEDICAL"])
    assert len(await checkin_rows(api, subject_id=first.user_id)) == 2


async def test_a_check_in_id_sent_twice_in_a_large_push_is_kept_once(api: Api) -> None:
    incident, _, leader, neighbours = await _street(api)
    earlier = check_in_args(incident, "SAFE", subjectId=neighbours[0].user_id, place="HOME")
    applied(await check_in(leader, incident, "SAFE", subjectId=neighbours[1].user_id, place="HOME",
                           id=(used := str(uuid.uuid4()))))
    again = dict(earlier, condition="INJURED")
    stored_again = check_in_args(incident, "MISSING", subjectId=neighbours[2].user_id, id=used)
    ids = [
        leader.enqueue("checkIn", earlier),
        leader.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=neighbours[3].user_id, place="HOME")),
        leader.enqueue("checkIn", again),  # the same check-in id as the first of this push
        leader.enqueue("checkIn", stored_again),  # the id of a check-in stored by an earlier push
    ]
    await leader.drain()

    assert [leader.results[i]["status"] for i in ids[:2]] == ["APPLIED"] * 2
    assert rejected(leader.results[ids[2]]) == "DUPLICATE_ID"
    assert rejected(leader.results[ids[3]]) == "DUPLICATE_ID"
    status = await status_row(api, incident, neighbours[0].user_id)
    assert status is not None and status.condition == "SAFE"
    assert await status_row(api, incident, neighbours[2].user_id) is None


async def test_when_the_combined_write_fails_the_push_runs_again_one_by_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident, _, leader, neighbours = await _street(api)
    write = checkin_batch._write
    failures: list[int] = []

    async def fails_once(session: Any, items: list[Any]) -> None:
        if not failures:
            failures.append(len(items))
            await write(session, items)  # the rows are written, then the transaction must not keep them
            raise RuntimeError("lost the race")
        await write(session, items)

    monkeypatch.setattr(checkin_batch, "_write", fails_once)
    ids = [leader.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=n.user_id, place="HOME"))
           for n in neighbours]
    await leader.drain()

    assert failures == [DOORS]
    assert [leader.results[i]["status"] for i in ids] == ["APPLIED"] * DOORS
    for n in neighbours:
        status = await status_row(api, incident, n.user_id)
        assert status is not None and status.version == 1
        assert len(await checkin_rows(api, subject_id=n.user_id)) == 1


async def test_a_refused_check_in_in_a_large_push_leaves_the_others_applied(api: Api) -> None:
    incident, _, leader, neighbours = await _street(api)
    other = await new_association(api, "本町二丁目町会")
    outsider = await api.device("outsider@example.jp", "よそ")
    await new_household(api, other, "よそ家", outsider.user_id)
    ids = [leader.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=n.user_id, place="HOME"))
           for n in neighbours[:5]]
    ids.insert(2, leader.enqueue("checkIn", check_in_args(incident, "SAFE", subjectId=outsider.user_id)))
    await leader.drain()

    statuses = [leader.results[i]["status"] for i in ids]
    assert statuses == ["APPLIED", "APPLIED", "REJECTED", "APPLIED", "APPLIED", "APPLIED"]
    assert rejected(leader.results[ids[2]]) == "FORBIDDEN"
    assert await status_row(api, incident, outsider.user_id) is None
    for n in neighbours[:5]:
        assert len(await checkin_rows(api, subject_id=n.user_id)) == 1
