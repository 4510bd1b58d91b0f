"""Writing a push's changes reads only the feed rows of the entities it changed.

The flush finds which audiences see each changed entity now, to leave tombstones for those
that lost sight of it (on PostgreSQL inside the statement that writes the feed). Asked with `op = 'UPSERT'` in the query,
PostgreSQL's plan probed the (op, changed_at) index and read every live row of the feed for
each push (most of a push's time in bench/checkin_surge.py); SQLite scanned the feed for a
row-value IN list. Here PostgreSQL's statistics are taken while the feed is small, then the
feed grows, as during a surge; the rows the database really read for the next flush are
counted (PostgreSQL), or the plan must use the primary key (SQLite)."""

from __future__ import annotations

import sqlalchemy as sa

from backend.core import feed
from backend.core.clock import utcnow
from backend.core.db import Database
from backend.sync import changefeed
from backend.sync.models import SyncChange, SyncCounter
from tests.support.query_plans import analyze, most_rows_read, sqlite_plan, statements

FEED = 20_000
CHANGED = 40  # entities in the push: half of them already in the feed


def feed_row(seq: int) -> dict[str, object]:
    return {"entity_type": "CheckIn", "entity_id": f"c{seq}", "audience": f"household:{seq % 7}",
            "change_seq": seq, "op": "UPSERT", "version": 1, "data": {"n": seq}, "changed_at": utcnow()}


async def test_a_flush_reads_the_rows_of_what_it_changed_not_the_feed(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.unit_of_work() as uow:
            await uow.session.execute(sa.insert(SyncChange), [feed_row(seq) for seq in range(1, 101)])
            await uow.commit()
        if db.dialect == "postgresql":  # autovacuum's statistics of a small feed (SQLite keeps none)
            await analyze(db, "sync_change")
        async with db.unit_of_work() as uow:
            await uow.session.execute(sa.insert(SyncChange), [feed_row(seq) for seq in range(101, FEED + 1)])
            await uow.session.execute(sa.update(SyncCounter).values(value=FEED))  # as if allocated
            await uow.commit()

        with statements(db) as flushed:
            async with db.unit_of_work() as uow:
                for n in range(CHANGED):
                    seq = FEED - n if n % 2 else FEED + 1 + n  # in the feed already, or new
                    feed.record_change(uow.session, entity_type="CheckIn", entity_id=f"c{seq}", version=2,
                                       data={"n": seq}, audiences={"ward-admins"})
                await changefeed.flush_changes(uow.session)
                await uow.commit()

        async with db.read_session() as session:
            rows = (await session.execute(
                sa.select(SyncChange.entity_id, SyncChange.audience, SyncChange.op)
                .where(SyncChange.entity_id.in_([f"c{FEED - n}" for n in range(1, CHANGED, 2)]))
            )).all()
        # An entity already seen by its household moved to the ward admins: a tombstone there.
        assert {(r.audience, r.op) for r in rows} == {("ward-admins", "UPSERT")} | {
            (f"household:{(FEED - n) % 7}", "DELETE") for n in range(1, CHANGED, 2)
        }
        if db.dialect == "postgresql":
            # the feed write, which finds the rows to tombstone itself (sync/changefeed_pg.py)
            assert await most_rows_read(db, flushed, "WITH record", relation="sync_change") <= 4 * CHANGED
        else:
            plan = await sqlite_plan(db, flushed, "SELECT sync_change")
            assert "sqlite_autoindex_sync_change_1" in plan, plan
    finally:
        await db.dispose()
