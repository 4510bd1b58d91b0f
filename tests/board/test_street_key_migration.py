"""Migration 0007 keys the households already there in street order, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from backend.api.migrate import alembic_config, upgrade
from backend.board.street import sort_key
from backend.core.db import driver_url

HOMES = [("h1", "十号", "駒込3-1-10"), ("h2", "二号", "駒込3-1-2"), ("h3", "二丁目", "駒込2-9-1"), ("h4", "番地なし", "")]


def test_upgrading_keys_existing_households_in_street_order_and_downgrading_drops_the_key(db_url: str) -> None:
    command.downgrade(alembic_config(db_url), "0006")
    engine = sa.create_engine(driver_url(db_url, sync=True), poolclass=sa.pool.NullPool)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO association (id, name, match_name, is_open, version, created_at) "
                             "VALUES ('a', '町会', '町会', false, 1, :now)"), {"now": now})
        for household_id, label, address in HOMES:
            conn.execute(sa.text(
                "INSERT INTO household (id, association_id, label, address, group_name, version, created_at) "
                "VALUES (:id, 'a', :label, :address, '', 1, :now)"), {"id": household_id, "label": label,
                                                                      "address": address, "now": now})

    upgrade(db_url)
    with engine.connect() as conn:
        keyed = conn.execute(sa.text("SELECT id, street_key FROM household ORDER BY street_key")).all()
    command.downgrade(alembic_config(db_url), "0006")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("household")}
    upgrade(db_url)
    engine.dispose()

    assert [household_id for household_id, _ in keyed] == ["h4", "h3", "h2", "h1"]
    assert dict(keyed) == {h: sort_key(address, label, h) for h, label, address in HOMES}
    assert "street_key" not in columns
