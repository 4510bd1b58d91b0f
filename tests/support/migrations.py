"""For migration tests: a plain engine on the test database, and feed rows written as an
older schema holds them (no ORM: the models describe the newest schema)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from backend.core.db import driver_url

WRITTEN_AT = datetime(2026, 11, 1, tzinfo=UTC)
_FEED_ROW = sa.text(
    "INSERT INTO sync_change (entity_type, entity_id, audience, change_seq, op, version, data, changed_at) "
    "VALUES (:entity_type, :entity_id, :audience, :change_seq, :op, 1, :data, :at)"
)


def engine_for(db_url: str) -> sa.Engine:
    return sa.create_engine(driver_url(db_url, sync=True), poolclass=sa.pool.NullPool)


def insert_feed_row(conn: sa.Connection, entity_type: str, entity_id: str, audience: str, change_seq: int,
                    op: str = "UPSERT", data: str | None = '{"v": 1}') -> None:
    """`data` as JSON text (None: SQL NULL); a tombstone's is JSON null, as the flush writes."""
    conn.execute(_FEED_ROW, {"entity_type": entity_type, "entity_id": entity_id, "audience": audience,
                             "change_seq": change_seq, "op": op, "at": WRITTEN_AT,
                             "data": "null" if op == "DELETE" else data})
