"""Writing the change feed: sequence numbers are allocated in commit order.

Runs just before a write transaction commits. The counter row is locked by the UPDATE and
stays locked until the commit, so a transaction that allocates later also commits later:
a puller that sees change N has already been able to see every change below N.
(SQLite gets the same guarantee from BEGIN IMMEDIATE, which serializes writers.)
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import feed
from backend.core.clock import utcnow
from backend.sync.models import SyncChange, SyncCounter

_TOUCHED = "otagai.touched_audiences"


async def _existing_audiences(
    session: AsyncSession, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    key_list = sorted(keys)
    for start in range(0, len(key_list), 500):
        chunk = key_list[start : start + 500]
        rows = await session.execute(
            sa.select(SyncChange.entity_type, SyncChange.entity_id, SyncChange.audience).where(
                sa.tuple_(SyncChange.entity_type, SyncChange.entity_id).in_(chunk),
                SyncChange.op == "UPSERT",
            )
        )
        for row in rows:
            found.setdefault((row.entity_type, row.entity_id), set()).add(row.audience)
    return found


async def flush_changes(session: AsyncSession) -> None:
    """Allocate change sequence numbers for the buffered records and write the feed rows."""
    records = feed.take(session)
    if not records:
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

    top = await session.scalar(
        sa.update(SyncCounter)
        .where(SyncCounter.id == 1)
        .values(value=SyncCounter.value + len(planned))
        .returning(SyncCounter.value)
    )
    assert top is not None, "sync_counter row missing"
    first = top - len(planned) + 1
    now = utcnow()
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for offset, (record, aud, op) in enumerate(planned):
        seq = first + offset
        record.change_seq = max(record.change_seq or 0, seq)
        rows[(record.entity_type, record.entity_id, aud)] = {
            "entity_type": record.entity_type,
            "entity_id": record.entity_id,
            "audience": aud,
            "change_seq": seq,
            "op": op,
            "version": record.version,
            "data": record.data if op == "UPSERT" else None,
            "changed_at": now,
        }
    await _upsert(session, list(rows.values()))
    touched: set[str] = session.info.setdefault(_TOUCHED, set())
    touched.update(aud for _, aud, _ in planned)


_CHANGE: sa.Table = SyncChange.__table__  # type: ignore[attr-defined]


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE for one feed row, built once per dialect.

    Executed with the batch's rows as an executemany: the statement is compiled once and
    cached, where a multi-row VALUES built from the rows on every flush cost about as much
    CPU as the domain writes of a 100-note batch (bench/sync_push.py).
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(_CHANGE)
    return stmt.on_conflict_do_update(
        index_elements=["entity_type", "entity_id", "audience"],
        set_={
            "change_seq": stmt.excluded.change_seq,
            "op": stmt.excluded.op,
            "version": stmt.excluded.version,
            "data": stmt.excluded.data,
            "changed_at": stmt.excluded.changed_at,
        },
    )


async def _upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    # One (entity, audience) key per row (see flush_changes), so the order is free.
    if rows:
        await session.execute(_upsert_statement(session.bind.dialect.name), rows)


def take_touched_audiences(session: AsyncSession) -> set[str]:
    touched: set[str] = session.info.pop(_TOUCHED, set())
    return touched
