"""The feed's and the mutation log's keys compare byte by byte on both databases (migration
0012): PostgreSQL declares them COLLATE "C", SQLite always compares bytes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from backend.api.migrate import alembic_config, upgrade
from tests.support.migrations import engine_for, insert_feed_row

AUDIENCES = ["user:Z", "user:a", "user:é", "user:本", "user:ｶ", "user:B"]


def _collations(conn: sa.Connection) -> dict[tuple[str, str], str | None]:
    if conn.dialect.name != "postgresql":
        return {}
    rows = conn.execute(sa.text(
        "SELECT table_name, column_name, collation_name FROM information_schema.columns "
        "WHERE table_name IN ('sync_change', 'sync_mutation') AND data_type = 'character varying'"))
    return {(r.table_name, r.column_name): r.collation_name for r in rows}


def test_feed_and_log_keys_sort_in_code_point_order_and_downgrade_to_the_locale(db_url: str) -> None:
    upgrade(db_url)
    engine = engine_for(db_url)
    with engine.begin() as conn:
        for seq, aud in enumerate(AUDIENCES, start=1):
            insert_feed_row(conn, "Post", "p1", aud, seq, data=None)
        ordered = list(conn.execute(sa.text("SELECT audience FROM sync_change ORDER BY audience")).scalars())
        upgraded = _collations(conn)
    command.downgrade(alembic_config(db_url), "0011")
    with engine.connect() as conn:
        downgraded = _collations(conn)
    upgrade(db_url)
    engine.dispose()

    assert ordered == sorted(AUDIENCES)  # Python's order: code points
    keys = {("sync_change", "entity_type"), ("sync_change", "entity_id"), ("sync_change", "audience"),
            ("sync_mutation", "mutation_id"), ("sync_mutation", "client_id")}
    if engine.dialect.name == "postgresql":
        assert {k for k, collation in upgraded.items() if collation == "C"} == keys
        assert not any(downgraded[k] == "C" for k in keys)
    else:
        assert upgraded == downgraded == {}  # SQLite: nothing to declare
