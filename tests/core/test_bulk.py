"""Bulk writes on PostgreSQL (core/bulk.py): rows sent as one JSON parameter arrive intact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.core import bulk
from backend.core.db import Database
from backend.core.sqltypes import JsonData, UtcDateTime
from tests.support.databases import KINDS, DatabaseFactory
from tests.support.query_plans import analyze, most_rows_read, statements

pytestmark = pytest.mark.skipif("postgresql" not in KINDS, reason="bulk writes are PostgreSQL's path")

_META = sa.MetaData()
SAMPLE = sa.Table(
    "bulk_sample", _META,
    sa.Column("id", sa.String(20), primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("data", JsonData),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("big", sa.BigInteger),
    sa.Column("note", sa.String(200)),
)
COLUMNS = ("id", "at", "data", "flag", "score", "big", "note")
TOKYO = timezone(timedelta(hours=9))


@pytest.fixture
async def database(databases: DatabaseFactory) -> AsyncIterator[Database]:
    url = databases.fresh("postgresql")
    db = Database(url)
    async with db.write_engine.begin() as conn:
        await conn.run_sync(_META.create_all)
    yield db
    await db.dispose()
    databases.drop(url)


async def _insert(db: Database, rows: list[dict[str, object]]) -> None:
    async with db.write_engine.begin() as conn:
        await conn.execute(bulk.insert_statement(SAMPLE, COLUMNS), bulk.parameters(COLUMNS, rows))


async def test_every_value_arrives_as_the_column_type_keeps_it(database: Database) -> None:
    at = datetime(2026, 11, 27, 19, 30, 1, 123456, tzinfo=TOKYO)
    rows: list[dict[str, object]] = [
        {"id": "a", "at": at, "data": {"needs": ["FOOD", "水"], "detail": None}, "flag": True,
         "score": 1.5, "big": 2**53 + 1, "note": '引用 "quotes", \\backslash\nnewline 🙏'},
        {"id": "b", "at": at.astimezone(UTC), "data": None, "flag": False, "score": None, "big": None, "note": None},
        {"id": "c", "at": at, "data": [], "flag": False, "score": -0.25, "big": 0, "note": ""},
    ]
    await _insert(database, rows)

    async with database.write_engine.connect() as conn:
        stored = {row.id: row for row in await conn.execute(sa.select(SAMPLE))}
        json_kinds: dict[str, str] = dict((await conn.execute(sa.text("SELECT id, jsonb_typeof(data) FROM bulk_sample"))).all())
    assert stored["a"].at == at and stored["a"].at.tzinfo == UTC
    assert stored["a"].data == {"needs": ["FOOD", "水"], "detail": None}
    assert (stored["a"].flag, stored["a"].score, stored["a"].big) == (True, 1.5, 2**53 + 1)
    assert stored["a"].note == '引用 "quotes", \\backslash\nnewline 🙏'
    assert (stored["b"].score, stored["b"].big, stored["b"].note) == (None, None, None)
    assert stored["c"].data == [] and stored["c"].note == ""
    # None in a JSON column is a JSON null, as SQLAlchemy's JSON type and an executemany store it
    assert json_kinds == {"a": "object", "b": "null", "c": "array"}


async def test_a_time_without_a_zone_is_taken_as_utc(database: Database) -> None:
    rows: list[dict[str, object]] = [
        {"id": "naive", "at": datetime(2026, 11, 27, 10, 0), "data": {}, "flag": True, "score": None, "big": None,
         "note": None},
    ]
    await _insert(database, rows)

    async with database.write_engine.connect() as conn:
        assert await conn.scalar(sa.select(SAMPLE.c.at)) == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_keys_a_row_does_not_name_as_a_column_are_not_sent() -> None:
    text = bulk.parameters(("id",), [{"id": "x", "secret": object()}])["rows"]
    assert text == '[{"id":"x"}]'


async def test_rows_are_found_by_key_however_stale_the_statistics(database: Database) -> None:
    """rows_by_key: the listed keys' rows, each found in the key's index — also when the
    statistics were taken while the table held five rows and it now holds 5,005 (asked as
    `id = ANY(…)`, PostgreSQL read all 5,005)."""
    at = datetime(2026, 11, 27, tzinfo=UTC)

    def row(i: int) -> dict[str, object]:
        return {"id": f"r{i:05d}", "at": at, "data": None, "flag": False, "score": None, "big": i, "note": None}

    await _insert(database, [row(i) for i in range(5)])
    await analyze(database, "bulk_sample")
    await _insert(database, [row(i) for i in range(5, 5_005)])
    asked = [f"r{i:05d}" for i in range(0, 5_005, 250)] + ["absent"]
    statement = bulk.rows_by_key(SAMPLE.c.id, bulk.list_param("ids", "postgresql"), SAMPLE.c.id, SAMPLE.c.big)

    with statements(database) as sent:
        async with database.write_engine.connect() as conn:
            found = {r.id: r.big for r in await conn.execute(statement, {"ids": asked})}

    assert found == {key: int(key[1:]) for key in asked if key != "absent"}
    assert await most_rows_read(database, sent, "SELECT", relation="bulk_sample") <= len(asked)
    # What it replaces: the same keys as `= ANY(…)` were looked for in every row.
    plain = sa.select(SAMPLE.c.id).where(bulk.in_list(SAMPLE.c.id, bulk.list_param("ids", "postgresql")))
    with statements(database) as sent:
        async with database.write_engine.connect() as conn:
            assert len((await conn.execute(plain, {"ids": asked})).all()) == len(found)
    assert await most_rows_read(database, sent, "SELECT", relation="bulk_sample") > 5_000
