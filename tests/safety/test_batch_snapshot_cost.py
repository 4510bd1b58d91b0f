"""A push of check-ins reads its people's rows by key, however stale the planner's statistics.

In a surge the incident goes from no statuses to one per resident within minutes, faster than
statistics follow. Asked for `incident_id = :incident AND person_id = ANY(…)`, PostgreSQL took
the incident to have a handful of statuses and read all of them through the (incident,
shelter) index to keep the hundred it wanted (22 ms of the 25 ms a door-knock push spent in
the database at 20,000 statuses; bench/checkin_surge.py). Here the residents are registered,
the statistics are taken before the incident has a status, STATUSES statuses, reports and
choices are stored, and the rows the database really read for one batch of ASKED people are
counted: each table probed by key (joined on `= ANY(…)` instead, the choices and reports were
read whole or filtered pair by pair)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from backend.accounts.models import Person, SafetyConsent
from backend.core.clock import utcnow
from backend.core.db import Database
from backend.safety import checkin_sql
from backend.safety.models import CheckIn, Incident, SafetyStatus
from tests.support.query_plans import analyze, most_rows_read, sqlite_plan, statements

STATUSES = 3_000
ASKED = 40


def _report(checkin_id: str, incident: str, person: str, now: Any) -> dict[str, Any]:
    return {"id": checkin_id, "incident_id": incident, "subject_id": person, "reporter_id": person,
            "reporter_role": "SELF", "condition": "SAFE", "place": "HOME", "needs": [], "comment": "",
            "client_time": now, "reported_at": now, "clock_flagged": False, "received_at": now, "version": 1}


async def _assert_read_by_key(db: Database, sent: list[Any], tables: tuple[str, ...]) -> None:
    """PostgreSQL read no more rows of each table than people asked; SQLite scanned none of them."""
    if db.dialect == "postgresql":
        for table in tables:
            assert await most_rows_read(db, sent, "SELECT", relation=table) <= ASKED, table
    else:
        plan = await sqlite_plan(db, sent, "SELECT")
        for table in tables:
            assert f"SCAN {table}" not in plan, plan


async def test_a_batch_reads_its_people_not_the_incident(db_url: str) -> None:
    db = Database(db_url)
    try:
        now = utcnow()
        incident = str(uuid.uuid4())
        people = [str(uuid.uuid4()) for _ in range(STATUSES)]
        async with db.unit_of_work() as uow:
            uow.session.add(Incident(id=incident, name="地震", opened_at=now))
            await uow.session.execute(sa.insert(Person), [
                {"id": p, "display_name": f"住民{i}", "search_name": f"住民{i}", "version": 1, "created_at": now}
                for i, p in enumerate(people)
            ])
            await uow.commit()
        if db.dialect == "postgresql":
            await analyze(db)  # the ward as it was before the earthquake
        async with db.unit_of_work() as uow:
            await uow.session.execute(sa.insert(SafetyStatus), [
                {"incident_id": incident, "person_id": p, "checkin_id": f"c{i}", "condition": "SAFE",
                 "place": "HOME", "needs": [], "reporter_id": p, "reported_at": now, "disputed": False,
                 "version": 1 + i % 3}
                for i, p in enumerate(people)
            ])
            await uow.session.execute(sa.insert(CheckIn), [_report(f"c{i}", incident, p, now) for i, p in enumerate(people)])
            await uow.session.execute(sa.insert(SafetyConsent), [
                {"person_id": p, "household": True, "leaders": True, "shelter_staff": True, "public_search": False,
                 "exact_location": False, "version": 1}
                for p in people
            ])
            await uow.commit()

        asked = people[::STATUSES // ASKED][:ASKED]
        with statements(db) as sent:
            async with db.unit_of_work() as uow:
                rows = (await uow.session.execute(checkin_sql.batch_snapshot_statement(db.dialect), {
                    "incident_id": incident, "person_ids": asked, "reporter_id": asked[0],
                })).all()

        assert {row.p_id: row.s_version for row in rows} == {p: 1 + people.index(p) % 3 for p in asked}
        assert {row.p_id: row.r_id for row in rows} == {p: f"c{people.index(p)}" for p in asked}
        await _assert_read_by_key(db, sent, ("safety_status", "checkin", "safety_consent"))
    finally:
        await db.dispose()


async def test_a_batch_looks_up_its_checkin_ids_by_key(db_url: str) -> None:
    """Which of a push's check-in ids are used is asked of the primary key, not of every report."""
    db = Database(db_url)
    try:
        now = utcnow()
        incident = str(uuid.uuid4())
        async with db.unit_of_work() as uow:
            uow.session.add(Incident(id=incident, name="地震", opened_at=now))
            await uow.commit()
        if db.dialect == "postgresql":
            await analyze(db)  # no report yet
        person = str(uuid.uuid4())
        async with db.unit_of_work() as uow:
            await uow.session.execute(sa.insert(CheckIn), [
                _report(str(uuid.UUID(int=i)), incident, person, now) for i in range(STATUSES)
            ])
            await uow.commit()
        used = [str(uuid.UUID(int=i)) for i in range(0, STATUSES, STATUSES // (ASKED // 2))][:ASKED // 2]
        asked = used + [str(uuid.uuid4()) for _ in range(ASKED - len(used))]
        with statements(db) as sent:
            async with db.unit_of_work() as uow:
                rows = (await uow.session.execute(checkin_sql.batch_lookup_statement(db.dialect), {
                    "incident_ids": [incident], "shelter_ids": [], "checkin_ids": asked,
                })).all()

        assert {(row.kind, row.id) for row in rows} == {("i", incident)} | {("c", c) for c in used}
        await _assert_read_by_key(db, sent, ("checkin",))
    finally:
        await db.dispose()
