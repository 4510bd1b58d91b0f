"""Migration 0010 turns the ward admins' copies of safety data into tombstones their phones
will pull, on both databases; the same entities' other rows move after the tombstones (a
phone drops an entity on any tombstone of it), nothing else moves."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.api.migrate import alembic_config, upgrade
from tests.support.migrations import engine_for, insert_feed_row

ROWS = [  # entity_type, entity_id, audience, change_seq, op
    ("SafetyStatus", "i:p1", "ward-admins", 11, "UPSERT"),
    ("SafetyStatus", "i:p1", "household:h", 12, "UPSERT"),
    ("CheckIn", "c1", "ward-admins", 5, "UPSERT"),
    ("CheckIn", "c2", "ward-admins", 7, "DELETE"),  # already a tombstone: left as it is
    ("Post", "post1", "ward-admins", 9, "UPSERT"),  # not safety data: ward staff keep it
]


def test_upgrading_tombstones_the_ward_admins_safety_rows_with_new_seqs(db_url: str) -> None:
    command.downgrade(alembic_config(db_url), "0009")
    engine = engine_for(db_url)
    with engine.begin() as conn:
        for entity_type, entity_id, aud, seq, op in ROWS:
            insert_feed_row(conn, entity_type, entity_id, aud, seq, op)
        conn.execute(sa.text("UPDATE sync_counter SET value = 12"))

    upgrade(db_url)
    with engine.connect() as conn:
        rows = {(r.entity_type, r.entity_id, r.audience): (r.change_seq, r.op, r.data is None or r.data == "null")
                for r in conn.execute(sa.text(
                    "SELECT entity_type, entity_id, audience, change_seq, op, CAST(data AS TEXT) AS data "
                    "FROM sync_change"))}
        counter = conn.execute(sa.text("SELECT value FROM sync_counter")).scalar_one()
    engine.dispose()

    assert rows == {
        ("CheckIn", "c1", "ward-admins"): (13, "DELETE", True),  # in their old order, after 12
        ("SafetyStatus", "i:p1", "ward-admins"): (14, "DELETE", True),
        ("SafetyStatus", "i:p1", "household:h"): (15, "UPSERT", False),  # seen after its tombstone
        ("CheckIn", "c2", "ward-admins"): (7, "DELETE", True),
        ("Post", "post1", "ward-admins"): (9, "UPSERT", False),
    }
    assert counter == 15
