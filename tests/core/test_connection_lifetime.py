"""A plan PostgreSQL cached while a table was nearly empty does not outlive the connection.

After five executions of a prepared statement PostgreSQL may keep one plan for any parameters
and reuse it for as long as the connection lives. Made at the start of a surge, when a table
held a handful of rows, that plan reads the table whole to find a row by its key; with
autovacuum off nothing re-plans it (bench/checkin_surge.py: each device's client row was
updated that way, after every push). The pool replaces connections after CONNECTION_LIFETIME_S
(backend/core/db.py; 30 s, shortened here), so the statement is planned again against the table as it is."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from backend.core.db import Database
from tests.support.databases import KINDS, DatabaseFactory, test_note
from tests.support.query_plans import analyze, cached_plan_rows_read, statements

pytestmark = pytest.mark.skipif("postgresql" not in KINDS, reason="PostgreSQL's plan cache")

STORED_AT_FIRST = 5
STORED_LATER = 5_000


def _note(i: int) -> dict[str, object]:
    return {"id": f"note-{i:06d}", "owner_id": "owner", "text": "", "tag": "", "version": 1, "deleted": False}


async def _look_up(db: Database, note_id: str) -> tuple[str | None, str]:
    """A row by its key, as often as it takes PostgreSQL to settle on a plan; the row's id
    and the SQL sent."""
    stmt = sa.select(test_note.c.id).where(test_note.c.id == sa.bindparam("id"))
    with statements(db) as sent:
        async with db.unit_of_work() as uow:
            for _ in range(8):
                found = (await uow.session.execute(stmt, {"id": note_id})).scalar_one_or_none()
    return found, sent[-1][0]


async def _rows_read_by_cached_plan(db: Database, sql: str, note_id: str) -> int:
    async with db.unit_of_work() as uow:
        conn = await uow.session.connection()
        return await cached_plan_rows_read(conn, sql, f"'{note_id}'", "test_note")


async def test_a_plan_made_on_a_nearly_empty_table_is_made_again(databases: DatabaseFactory) -> None:
    url = databases.fresh("postgresql")
    db = Database(url, pool_size=1)  # one connection: the lookup always meets its own plan
    try:
        async with db.unit_of_work() as uow:
            await uow.session.execute(sa.insert(test_note), [_note(i) for i in range(STORED_AT_FIRST)])
            await uow.commit()
        await analyze(db, "test_note")
        found, sql = await _look_up(db, "note-000001")
        assert found == "note-000001"

        async with db.unit_of_work() as uow:  # the surge
            await uow.session.execute(sa.insert(test_note), [
                _note(i) for i in range(STORED_AT_FIRST, STORED_AT_FIRST + STORED_LATER)])
            await uow.commit()
        # The trap this guards against, as PostgreSQL sets it: the plan it kept reads every row.
        assert await _rows_read_by_cached_plan(db, sql, "note-004321") > STORED_LATER

        # The lifetime, shortened only now so that a slow machine cannot replace the connection
        # before the trap is shown (SQLAlchemy keeps pool_recycle as the pool's _recycle).
        db.write_engine.sync_engine.pool._recycle = 1  # type: ignore[attr-defined]
        await asyncio.sleep(1.2)  # past the connection's lifetime
        found, sql = await _look_up(db, "note-004321")
        assert found == "note-004321"
        assert await _rows_read_by_cached_plan(db, sql, "note-004321") == 1
    finally:
        await db.dispose()
        databases.drop(url)
