"""A pull reads about a page of the feed, however much of the feed is for others.

The feed grows by a row per entity and audience; a resident sees a sliver of what a surge
writes. Asked as one `audience IN (…) ORDER BY change_seq LIMIT n`, PostgreSQL trusted that
the resident's audiences, frequent in the feed as a whole, would turn up soon after the
cursor, walked the change_seq index and threw away every row for others (1.4 s per pull in
the 20,000-resident drill). Here the feed holds BEFORE rows of the resident's, pulled
already, then FEED rows of a surge for others with a few of the resident's among them; the
statistics are fresh; the rows the database really read for the next pulls are counted."""

from __future__ import annotations

import sqlalchemy as sa

from backend.core.clock import utcnow
from backend.core.db import Database
from backend.sync.models import SyncChange
from backend.sync.pull import read_changes
from tests.support.query_plans import analyze, most_rows_read, sqlite_plan, statements

BEFORE = 6_000
FEED = 20_000
EVERY = 400  # one of the resident's rows among this many of the feed
PAGE = 20
MINE = {"user:me", "household:mine", "association:mine"}


def feed_row(seq: int, audience: str) -> dict[str, object]:
    return {"entity_type": "Post", "entity_id": f"p{seq}", "audience": audience, "change_seq": seq,
            "op": "UPSERT", "version": 1, "data": {"n": seq}, "changed_at": utcnow()}


async def fill_feed(db: Database) -> tuple[int, list[int]]:
    """The last seq the resident pulled before the surge, and their rows since."""
    audiences = sorted(MINE)
    rows = [feed_row(seq, audiences[seq % len(audiences)]) for seq in range(1, BEFORE + 1)]
    mine = []
    for seq in range(BEFORE + 1, BEFORE + FEED + 1):
        audience = audiences[seq // EVERY % len(audiences)] if seq % EVERY == 0 else "association:other"
        if audience != "association:other":
            mine.append(seq)
        rows.append(feed_row(seq, audience))
    async with db.unit_of_work() as uow:
        await uow.session.execute(sa.insert(SyncChange), rows)
        await uow.commit()
    await analyze(db, "sync_change")
    return BEFORE, mine


async def test_a_pull_reads_a_page_of_the_feed_not_the_feed(db_url: str) -> None:
    db = Database(db_url)
    try:
        pulled_before, mine = await fill_feed(db)
        with statements(db) as pulled_with:
            async with db.unit_of_work() as uow:
                first, more, last = await read_changes(uow.session, MINE, pulled_before, PAGE)
                second, _, _ = await read_changes(uow.session, MINE, last, PAGE)

        assert [c.change_seq for c in first] == mine[:PAGE] and more
        assert [c.change_seq for c in second] == mine[PAGE:2 * PAGE]
        if db.dialect == "postgresql":
            assert await most_rows_read(db, pulled_with, "SELECT") <= len(MINE) * (PAGE + 1)
        else:
            plan = await sqlite_plan(db, pulled_with, "SELECT")
            assert plan.count("ix_sync_change_audience_seq") == len(MINE), plan
    finally:
        await db.dispose()


async def test_a_pull_with_no_audience_reads_nothing(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.read_session() as session:
            assert await read_changes(session, set(), 7, PAGE) == ([], False, 7)
    finally:
        await db.dispose()
