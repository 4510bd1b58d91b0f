"""Migration 0011 drops the unique index of the feed's change_seq (unique by construction),
keeping every row; downgrading brings it back. Both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.api.migrate import alembic_config, upgrade
from tests.support.migrations import engine_for, insert_feed_row


def _seq_alone_is_unique(conn: sa.Connection) -> bool:
    inspector = sa.inspect(conn)
    unique = [c["column_names"] for c in inspector.get_unique_constraints("sync_change")]
    unique += [i["column_names"] for i in inspector.get_indexes("sync_change") if i["unique"]]
    return ["change_seq"] in unique


def test_the_feed_keeps_its_rows_without_a_unique_index_on_change_seq(db_url: str) -> None:
    command.downgrade(alembic_config(db_url), "0010")
    engine = engine_for(db_url)
    with engine.begin() as conn:
        assert _seq_alone_is_unique(conn)
        insert_feed_row(conn, "Post", "p1", "ward", 1, data='{"title": "回覧"}')

    upgrade(db_url)
    with engine.connect() as conn:
        after = _seq_alone_is_unique(conn)
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("sync_change")}
        rows = conn.execute(sa.text("SELECT entity_id, audience, change_seq FROM sync_change")).all()
    command.downgrade(alembic_config(db_url), "0010")
    with engine.connect() as conn:
        restored = _seq_alone_is_unique(conn)
    upgrade(db_url)
    engine.dispose()

    assert not after and restored
    assert {"ix_sync_change_audience_seq", "ix_sync_change_tombstones"} <= indexes  # the readers' indexes stay
    assert [tuple(r) for r in rows] == [("p1", "ward", 1)]
