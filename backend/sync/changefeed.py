"""Writing the change feed: sequence numbers are allocated in commit order.

Runs just before a write transaction commits. The counter row is locked by the UPDATE and
stays locked until the commit, so a transaction that allocates later also commits later:
a puller that sees change N has already been able to see every change below N.
(SQLite gets the same guarantee from BEGIN IMMEDIATE, which serializes writers.)

Every transaction that writes the feed waits for that lock in turn, so what happens
between the UPDATE and the commit bounds the whole server's write rate. On PostgreSQL the
UPDATE, the feed rows and the push's mutation log (whose rows carry the change seq of
their action's last change) are therefore one statement, and the commit follows at once:
before, each of three statements let the event loop run other requests' work while the
lock was held (bench/checkin_surge.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import bulk, feed
from backend.core.clock import utcnow
from backend.sync.models import SyncChange, SyncCounter, SyncMutation

_TOUCHED = "otagai.touched_audiences"
_CHANGE: sa.Table = SyncChange.__table__  # type: ignore[attr-defined]


@functools.cache
def _existing_statement(dialect: str) -> Any:
    """The feed rows of these entities (rows: entity_type, entity_id, audience, op).

    Found by primary key alone: with `op = 'UPSERT'` in the query, PostgreSQL's cached
    generic plan probed the (op, changed_at) index instead and read every visible row of
    the feed for each key (most of a push's time in bench/checkin_surge.py), so the caller
    skips the tombstones itself. PostgreSQL gets the keys as two arrays; SQLite an IN list
    of ids per entity type, chunked by the caller.
    """
    columns = (_CHANGE.c.entity_type, _CHANGE.c.entity_id, _CHANGE.c.audience, _CHANGE.c.op)
    if dialect != "postgresql":  # a row-value IN list was a scan of the whole feed on SQLite
        ids: Any = sa.bindparam("ids", expanding=True)
        return sa.select(*columns).where(_CHANGE.c.entity_type == sa.bindparam("type"), _CHANGE.c.entity_id.in_(ids))
    wanted = (
        sa.func.unnest(sa.bindparam("types", type_=ARRAY(sa.String())), sa.bindparam("ids", type_=ARRAY(sa.String())))
        .table_valued("entity_type", "entity_id")
        .render_derived(name="k")
    )
    return sa.select(*columns).join_from(
        wanted, _CHANGE,
        sa.and_(_CHANGE.c.entity_type == wanted.c.entity_type, _CHANGE.c.entity_id == wanted.c.entity_id),
    )


async def _existing_audiences(
    session: AsyncSession, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], set[str]]:
    """For each entity, the audiences that see it now (their row is not a tombstone)."""
    found: dict[tuple[str, str], set[str]] = {}
    key_list = sorted(keys)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        batches: list[dict[str, Any]] = [{"types": [t for t, _ in key_list], "ids": [i for _, i in key_list]}]
    else:  # one entity type at a time, 500 ids at most
        by_type: dict[str, list[str]] = {}
        for entity_type, entity_id in key_list:
            by_type.setdefault(entity_type, []).append(entity_id)
        batches = [{"type": t, "ids": ids[start : start + 500]}
                   for t, ids in by_type.items() for start in range(0, len(ids), 500)]
    for params in batches:
        for row in await session.execute(_existing_statement(dialect), params):
            if row.op == "UPSERT":
                found.setdefault((row.entity_type, row.entity_id), set()).add(row.audience)
    return found


LogRow = dict[str, Any]  # a sync_mutation row, without its change_seq


async def flush_changes(
    session: AsyncSession, log: Sequence[tuple[LogRow, Sequence[feed.ChangeRecord]]] = ()
) -> None:
    """Allocate change sequence numbers for the buffered records and write the feed rows;
    with them the push engine's mutation log (`log`: each row with the records its action
    made; the row's change_seq becomes the last of theirs, None without any)."""
    records = feed.take(session)
    log_rows = [row for row, _ in log]
    if not records:
        for row in log_rows:
            row["change_seq"] = None
        if log_rows:
            await session.execute(sa.insert(_MUTATION), log_rows)
        return
    existing = await _existing_audiences(session, {(r.entity_type, r.entity_id) for r in records})
    # Each record becomes tombstones for the audiences that lost sight of the entity, then
    # one row per audience that sees it, in that order (so a puller never ends on a stale
    # delete while the entity is still visible to it through another audience).
    planned: list[tuple[feed.ChangeRecord, str, str]] = []
    for record in records:
        key = (record.entity_type, record.entity_id)
        before = existing.get(key, set())
        if record.op == "DELETE":
            for aud in sorted(before | record.audiences):
                planned.append((record, aud, "DELETE"))
            existing[key] = set()
            continue
        for aud in sorted(before - record.audiences):
            planned.append((record, aud, "DELETE"))
        for aud in sorted(record.audiences):
            planned.append((record, aud, "UPSERT"))
        existing[key] = set(record.audiences)

    # Offsets from the first seq of this flush, known only once the counter is locked.
    last: dict[int, int] = {}  # id(record) → the offset of its last row
    rows: dict[tuple[str, str, str], FeedRow] = {}
    for offset, (record, aud, op) in enumerate(planned):
        last[id(record)] = offset
        rows[(record.entity_type, record.entity_id, aud)] = (record, aud, op, offset)
    for row, made in log:
        offsets = [last[id(r)] for r in made if id(r) in last]
        row["off"] = max(offsets) if offsets else None
    write = _write_postgresql if session.get_bind().dialect.name == "postgresql" else _write_sqlite
    first = await write(session, list(rows.values()), log_rows, len(planned))
    for record in records:
        if id(record) in last:
            record.change_seq = first + last[id(record)]
    for row in log_rows:
        offset = row.pop("off")
        row["change_seq"] = None if offset is None else first + offset
    touched: set[str] = session.info.setdefault(_TOUCHED, set())
    touched.update(aud for _, aud, _ in planned)


FeedRow = tuple[feed.ChangeRecord, str, str, int]  # record, audience, op, offset from the first seq
_MUTATION: sa.Table = SyncMutation.__table__  # type: ignore[attr-defined]
_COUNTER: sa.Table = SyncCounter.__table__  # type: ignore[attr-defined]
_LOG_VALUES = tuple(c.name for c in _MUTATION.c if c.name != "change_seq")
_REPLACED = ("change_seq", "op", "version", "data", "changed_at")  # on a row of the same key


async def _write_sqlite(session: AsyncSession, rows: list[FeedRow], log_rows: list[LogRow], count: int) -> int:
    top = await session.scalar(
        sa.update(_COUNTER).where(_COUNTER.c.id == 1).values(value=_COUNTER.c.value + count).returning(_COUNTER.c.value)
    )
    assert top is not None, "sync_counter row missing"
    first = int(top) - count + 1
    now = utcnow()
    if rows:  # one (entity, audience) key per row, so the order is free
        await session.execute(_sqlite_upsert(), [
            {"entity_type": record.entity_type, "entity_id": record.entity_id, "audience": aud,
             "change_seq": first + offset, "op": op, "version": record.version,
             "data": record.data if op == "UPSERT" else None, "changed_at": now}
            for record, aud, op, offset in rows
        ])
    if log_rows:
        await session.execute(sa.insert(_MUTATION), [
            {**row, "change_seq": None if row["off"] is None else first + row["off"]} for row in log_rows
        ])
    return first


@functools.cache
def _sqlite_upsert() -> Any:
    """Executed with the rows as an executemany: compiled once and cached, where a multi-row
    VALUES built on every flush cost about as much CPU as the domain writes of a 100-note
    batch (bench/sync_push.py)."""
    stmt = sqlite_insert(_CHANGE)
    return stmt.on_conflict_do_update(
        index_elements=["entity_type", "entity_id", "audience"],
        set_={name: stmt.excluded[name] for name in _REPLACED},
    )


async def _write_postgresql(session: AsyncSession, rows: list[FeedRow], log_rows: list[LogRow],
                            count: int) -> int:
    """Each record's entity, version and data are sent once, however many audiences' rows
    it has (its data is most of the bytes; PostgreSQL parses it to jsonb once)."""
    index: dict[int, int] = {}  # id(record) → its ordinal among the records, from 1
    records: list[dict[str, Any]] = []
    feed_rows: list[dict[str, Any]] = []
    for record, aud, op, offset in rows:
        ordinal = index.get(id(record))
        if ordinal is None:
            ordinal = index[id(record)] = len(records) + 1
            records.append({"ordinal": ordinal, "entity_type": record.entity_type, "entity_id": record.entity_id,
                            "version": record.version, "data": record.data})
        feed_rows.append({"record": ordinal, "audience": aud, "op": op, "off": offset})
    params: dict[str, Any] = {
        "n": count, "changed_at": utcnow(), "r_rows": bulk.rows_text(records), "f_rows": bulk.rows_text(feed_rows),
    }
    if log_rows:
        params |= bulk.parameters(_LOG_VALUES, log_rows, extra=("off",), prefix="m_")
    first = await session.scalar(_postgresql_statement(bool(log_rows)), params)
    assert first is not None, "sync_counter row missing"
    return int(first)


@functools.cache
def _postgresql_statement(with_log: bool) -> Any:
    """WITH counter AS (UPDATE sync_counter … RETURNING the first seq), the records (their
    data parsed to jsonb once), INSERT the feed rows (each: a record, an audience, an op and
    its offset from `first`; ON CONFLICT the newer state of that entity for that audience),
    INSERT the mutation log (core/bulk.py) — SELECT first."""
    n = sa.bindparam("n", type_=sa.BigInteger)
    counter = (
        sa.update(_COUNTER).where(_COUNTER.c.id == 1).values(value=_COUNTER.c.value + n)
        .returning((_COUNTER.c.value - n + 1).label("first")).cte("counter")
    )
    given = bulk.recordset("r_rows", {
        "ordinal": sa.Integer(), "entity_type": sa.String(), "entity_id": sa.String(), "version": sa.Integer(),
        "data": JSONB(),
    }, name="r")
    record = sa.select(given).cte("record").prefix_with("MATERIALIZED")
    row = bulk.recordset("f_rows", {"record": sa.Integer(), "audience": sa.String(), "op": sa.String(),
                                    "off": sa.Integer()}, name="f")
    source = sa.select(
        record.c.entity_type, record.c.entity_id, row.c.audience, row.c.op, record.c.version,
        sa.case((row.c.op == "UPSERT", sa.func.coalesce(record.c.data, sa.cast(sa.literal("null"), JSONB))),
                else_=sa.cast(sa.literal("null"), JSONB)),
        sa.bindparam("changed_at", type_=_CHANGE.c.changed_at.type), counter.c.first + row.c.off,
    ).select_from(row.join(record, record.c.ordinal == row.c.record).join(counter, sa.true()))
    feed_rows = pg_insert(_CHANGE).from_select(
        ["entity_type", "entity_id", "audience", "op", "version", "data", "changed_at", "change_seq"], source
    )
    feed_rows = feed_rows.on_conflict_do_update(
        index_elements=["entity_type", "entity_id", "audience"],
        set_={name: feed_rows.excluded[name] for name in _REPLACED},
    )
    ctes = [feed_rows.cte("feed_rows")]
    if with_log:
        log = bulk.unnest_rows(_MUTATION, _LOG_VALUES, {"off": sa.Integer()}, prefix="m_")
        log_source = sa.select(
            *(bulk.selected(log, _MUTATION, name) for name in _LOG_VALUES), counter.c.first + log.c.off
        ).select_from(log.join(counter, sa.true()))
        ctes.append(pg_insert(_MUTATION).from_select([*_LOG_VALUES, "change_seq"], log_source).cte("log_rows"))
    return sa.select(counter.c.first).add_cte(*ctes)


def take_touched_audiences(session: AsyncSession) -> set[str]:
    touched: set[str] = session.info.pop(_TOUCHED, set())
    return touched
