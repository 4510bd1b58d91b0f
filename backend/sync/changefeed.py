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
lock was held (bench/checkin_surge.py). That statement, which also makes each record's rows
and tombstones, is changefeed_pg.py; SQLite's rows are planned here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import feed
from backend.core.clock import utcnow
from backend.sync import changefeed_pg
from backend.sync.changefeed_pg import REPLACED, LogRow
from backend.sync.models import SyncChange, SyncCounter, SyncMutation

_TOUCHED = "otagai.touched_audiences"
_CHANGE: sa.Table = SyncChange.__table__  # type: ignore[attr-defined]


@functools.cache
def _existing_statement() -> Any:
    """The feed rows of one entity type's ids (rows: entity_type, entity_id, audience, op):
    an IN list of ids, chunked by the caller (a row-value IN list was a scan of the whole
    feed). Found by primary key alone; the caller skips the tombstones itself."""
    ids: Any = sa.bindparam("ids", expanding=True)
    columns = (_CHANGE.c.entity_type, _CHANGE.c.entity_id, _CHANGE.c.audience, _CHANGE.c.op)
    return sa.select(*columns).where(_CHANGE.c.entity_type == sa.bindparam("type"), _CHANGE.c.entity_id.in_(ids))


async def _existing_audiences(
    session: AsyncSession, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], set[str]]:
    """For each entity, the audiences that see it now (their row is not a tombstone)."""
    found: dict[tuple[str, str], set[str]] = {}
    by_type: dict[str, list[str]] = {}
    for entity_type, entity_id in sorted(keys):
        by_type.setdefault(entity_type, []).append(entity_id)
    for entity_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            params = {"type": entity_type, "ids": ids[start : start + 500]}
            for row in await session.execute(_existing_statement(), params):
                if row.op == "UPSERT":
                    found.setdefault((row.entity_type, row.entity_id), set()).add(row.audience)
    return found


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
    touched: set[str] = session.info.setdefault(_TOUCHED, set())
    if session.get_bind().dialect.name == "postgresql":
        touched.update(await changefeed_pg.flush(session, records, log))
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
    first = await _write_sqlite(session, list(rows.values()), log_rows, len(planned))
    for record in records:
        if id(record) in last:
            record.change_seq = first + last[id(record)]
    for row in log_rows:
        offset = row.pop("off")
        row["change_seq"] = None if offset is None else first + offset
    touched.update(aud for _, aud, _ in planned)


FeedRow = tuple[feed.ChangeRecord, str, str, int]  # record, audience, op, offset from the first seq
_MUTATION: sa.Table = SyncMutation.__table__  # type: ignore[attr-defined]
_COUNTER: sa.Table = SyncCounter.__table__  # type: ignore[attr-defined]


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
        set_={name: stmt.excluded[name] for name in REPLACED},
    )


def take_touched_audiences(session: AsyncSession) -> set[str]:
    touched: set[str] = session.info.pop(_TOUCHED, set())
    return touched
