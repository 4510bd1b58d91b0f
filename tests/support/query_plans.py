"""What a statement really costs: the SQL sent meanwhile, and the rows the database read for
it (PostgreSQL's EXPLAIN ANALYZE) or the plan it chose (SQLite's EXPLAIN QUERY PLAN).

Used by the tests that keep a statement's cost bounded however stale the planner's statistics
(tests/push/test_queue_cost.py, tests/sync/test_pull_cost.py); `analyze` takes the
statistics those tests make stale on purpose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from backend.core.db import Database


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The SQL sent to the database meanwhile, with the parameters (the first of a many)."""
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, executemany: bool) -> None:
        seen.append((sql, parameters[0] if executemany else parameters))

    event.listen(db.write_engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.write_engine.sync_engine, "before_cursor_execute", before)


async def analyze(db: Database, table: str = "") -> None:
    """ANALYZE `table` (every table when empty) now, committed: the planner's statistics as
    of this moment, whatever is stored later."""
    async with db.write_engine.connect() as conn:
        await conn.execute(sa.text(f"ANALYZE {table}".strip()))
        await conn.commit()


def rows_read(plan: dict[str, Any], relation: str | None = None) -> int:
    """The most rows any step of a PostgreSQL plan (EXPLAIN ANALYZE, JSON) read — of every
    loop, with `relation` only the steps that read that table: those it produced and those
    its filter threw away."""
    own = 0
    if relation is None or plan.get("Relation Name") == relation:
        own = int(plan["Actual Rows"]) + int(plan.get("Rows Removed by Filter", 0))
        if relation is not None:
            own *= int(plan.get("Actual Loops", 1))
    return max([own] + [rows_read(p, relation) for p in plan.get("Plans", [])])


async def most_rows_read(db: Database, executed: list[tuple[str, Any]], table_statement: str,
                         relation: str | None = None) -> int:
    """Run the statement again under EXPLAIN ANALYZE, after the SETs that preceded it (rolled back)."""
    async with db.unit_of_work() as uow:
        conn = await uow.session.connection()
        for sql, parameters in executed:
            if sql.startswith("SET "):
                await conn.exec_driver_sql(sql)
            elif sql.startswith(table_statement):
                result = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", parameters)
                document = result.scalar_one()
                plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
                return rows_read(plan, relation)
    raise AssertionError(f"no {table_statement!r} among {[sql for sql, _ in executed]}")


async def sqlite_plan(db: Database, executed: list[tuple[str, Any]], table_statement: str) -> str:
    async with db.unit_of_work() as uow:
        conn = await uow.session.connection()
        for sql, parameters in executed:
            if sql.startswith(table_statement):
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
                return " / ".join(str(row[-1]) for row in rows)
    raise AssertionError(f"no {table_statement!r} among {[sql for sql, _ in executed]}")


async def cached_plan_rows_read(conn: Any, sql: str, arguments: str, relation: str) -> int:
    """The rows of `relation` read by the plan this connection keeps for the prepared
    statement whose text is `sql` (asyncpg prepares every statement it runs): EXPLAIN ANALYZE
    EXECUTE reuses the plan PostgreSQL cached for it. `arguments`: the EXECUTE's argument
    list as SQL literals."""
    name = (await conn.exec_driver_sql(
        "SELECT name FROM pg_prepared_statements WHERE statement = $1", (sql,))).scalar_one()
    document = (await conn.exec_driver_sql(
        f'EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE "{name}"({arguments})')).scalar_one()
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    return rows_read(plan, relation)
