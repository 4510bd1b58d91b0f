"""The rows a flush leaves on the change feed: one per entity and audience that sees it, a
tombstone for each audience that saw it and no longer does, tombstones before the rows that
replace them. PostgreSQL makes them in the database (sync/changefeed_pg.py), SQLite in Python
(sync/changefeed.py): the same rows either way, also when one flush changes an entity twice."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from backend.core import feed
from backend.core.clock import utcnow
from backend.core.db import Database
from backend.core.errors import TransientError
from backend.sync import changefeed
from backend.sync.models import SyncChange, SyncMutation


async def _flush(db: Database, *changes: dict[str, Any]) -> list[feed.ChangeRecord]:
    async with db.unit_of_work() as uow:
        records = [feed.record_change(uow.session, **change) for change in changes]
        await changefeed.flush_changes(uow.session)
        await uow.commit()
    return records


def _change(entity_id: str, version: int, audiences: set[str], op: str = "UPSERT") -> dict[str, Any]:
    return {"entity_type": "Note", "entity_id": entity_id, "version": version, "data": {"v": version},
            "audiences": audiences, "op": op}


async def _rows(db: Database) -> dict[tuple[str, str], Any]:
    async with db.read_session() as session:
        rows = (await session.execute(sa.select(SyncChange))).scalars().all()
    return {(row.entity_id, row.audience): row for row in rows}


async def test_audiences_that_lose_sight_get_tombstones_before_the_new_rows(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _flush(db, _change("a", 1, {"household:1", "ward-admins"}), _change("b", 1, {"user:1"}),
                     _change("c", 1, {"user:2", "user:3"}))
        records = await _flush(
            db,
            _change("a", 2, {"ward-admins", "assoc-leaders:1"}),  # household:1 lost sight
            _change("b", 2, set(), op="DELETE"),
            _change("c", 2, set()),  # kept, but seen by nobody now
            _change("d", 1, {"user:4"}),
        )
        rows = await _rows(db)

        assert {key: (row.op, row.version, row.data) for key, row in rows.items()} == {
            ("a", "household:1"): ("DELETE", 2, None),
            ("a", "ward-admins"): ("UPSERT", 2, {"v": 2}),
            ("a", "assoc-leaders:1"): ("UPSERT", 2, {"v": 2}),
            ("b", "user:1"): ("DELETE", 2, None),
            ("c", "user:2"): ("DELETE", 2, None),
            ("c", "user:3"): ("DELETE", 2, None),
            ("d", "user:4"): ("UPSERT", 1, {"v": 1}),
        }
        a = [rows[("a", aud)].change_seq for aud in ("household:1", "assoc-leaders:1", "ward-admins")]
        assert a == sorted(a), "the tombstone first, then the new rows in audience order"
        seqs: dict[str, list[int]] = {key[0]: [] for key in rows}
        for key, row in rows.items():
            seqs[key[0]].append(row.change_seq)
        assert max(seqs["a"]) < min(seqs["b"]) and max(seqs["b"]) < min(seqs["c"]) < max(seqs["c"]) < min(seqs["d"])
        assert [r.change_seq for r in records] == [max(seqs[e]) for e in "abcd"]
    finally:
        await db.dispose()


async def test_new_entities_known_ones_and_ones_left_as_tombstones_mix_in_one_flush(db_url: str) -> None:
    """PostgreSQL inserts the rows of an entity the feed has never held without ON CONFLICT;
    one it holds, even only as tombstones, is upserted. The same rows either way."""
    db = Database(db_url)
    try:
        await _flush(db, _change("known", 1, {"user:1", "user:2"}), _change("gone", 1, {"user:1"}))
        await _flush(db, _change("gone", 2, set(), op="DELETE"))
        records = await _flush(
            db,
            _change("new", 1, {"user:1", "user:2"}),
            _change("known", 2, {"user:2", "user:3"}),
            _change("gone", 3, {"user:1", "user:3"}),  # the same id again, after its delete
        )
        rows = await _rows(db)

        assert {key: (row.op, row.version, row.data) for key, row in rows.items()} == {
            ("new", "user:1"): ("UPSERT", 1, {"v": 1}),
            ("new", "user:2"): ("UPSERT", 1, {"v": 1}),
            ("known", "user:1"): ("DELETE", 2, None),
            ("known", "user:2"): ("UPSERT", 2, {"v": 2}),
            ("known", "user:3"): ("UPSERT", 2, {"v": 2}),
            ("gone", "user:1"): ("UPSERT", 3, {"v": 3}),
            ("gone", "user:3"): ("UPSERT", 3, {"v": 3}),
        }
        order = [key for key, _ in sorted(rows.items(), key=lambda item: item[1].change_seq)]
        assert order == [("new", "user:1"), ("new", "user:2"), ("known", "user:1"), ("known", "user:2"),
                         ("known", "user:3"), ("gone", "user:1"), ("gone", "user:3")]
        assert [r.change_seq for r in records] == [rows[("new", "user:2")].change_seq,
                                                   rows[("known", "user:3")].change_seq,
                                                   rows[("gone", "user:3")].change_seq]
    finally:
        await db.dispose()


async def test_two_writers_making_the_first_rows_of_one_entity_at_once_lose_nothing(db_url: str) -> None:
    """Both find the entity new. SQLite runs them one after the other; on PostgreSQL the
    second one's statement waits for the counter, then meets the first one's rows: it fails
    whole as a TransientError (a 503, "try again"), and sent again, it upserts."""
    db = Database(db_url)
    try:
        async with db.unit_of_work() as first:
            feed.record_change(first.session, **_change("p", 1, {"household:1"}))
            await changefeed.flush_changes(first.session)

            async def second() -> int:
                for attempt in range(2):
                    try:
                        await _flush(db, _change("p", 2, {"household:1", "household:2"}))
                        return attempt
                    except TransientError:
                        continue
                raise AssertionError("not applied when sent again")

            racing = asyncio.create_task(second())
            if db.dialect == "postgresql":
                await _until_a_statement_waits_for_a_lock(db)
            await first.commit()
        retries = await racing
        rows = await _rows(db)

        assert retries == (1 if db.dialect == "postgresql" else 0)
        assert {key: (row.op, row.version) for key, row in rows.items()} == {
            ("p", "household:1"): ("UPSERT", 2), ("p", "household:2"): ("UPSERT", 2),
        }
    finally:
        await db.dispose()


async def _until_a_statement_waits_for_a_lock(db: Database) -> None:
    waiting = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND wait_event_type = 'Lock'")
    for _ in range(200):
        async with db.read_session() as session:
            if await session.scalar(waiting):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the second writer never waited for the counter")


async def test_an_entity_changed_twice_in_one_flush_ends_as_its_last_change_says(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _flush(db, _change("a", 1, {"user:1"}), _change("b", 1, {"user:1"}))
        first, second, deleted, again = await _flush(
            db,
            _change("a", 2, {"household:1", "user:1"}),
            _change("a", 3, {"household:2"}),  # household:1 saw version 2 in this very flush
            _change("b", 2, set(), op="DELETE"),
            _change("b", 3, {"user:2"}),  # made again after its delete
        )
        rows = await _rows(db)

        # (a tombstone's version may be either change's: a puller only drops the entity)
        assert {key: (row.op, row.data) for key, row in rows.items()} == {
            ("a", "user:1"): ("DELETE", None),
            ("a", "household:1"): ("DELETE", None),
            ("a", "household:2"): ("UPSERT", {"v": 3}),
            ("b", "user:1"): ("DELETE", None),
            ("b", "user:2"): ("UPSERT", {"v": 3}),
        }
        assert rows[("a", "household:2")].change_seq > max(rows[("a", aud)].change_seq
                                                          for aud in ("user:1", "household:1"))
        assert second.change_seq == max(row.change_seq for key, row in rows.items() if key[0] == "a")
        assert again.change_seq == max(row.change_seq for key, row in rows.items() if key[0] == "b")
        assert first.change_seq is not None and deleted.change_seq is not None
    finally:
        await db.dispose()


def _log_row(mutation_id: str, seq: int) -> dict[str, Any]:
    now = utcnow()
    return {"mutation_id": mutation_id, "client_id": "phone", "seq": seq, "user_id": "u1", "action": "testNote",
            "args_version": 1, "args_hash": "h", "args": {}, "client_time": now, "corrected_time": now,
            "clock_flagged": False, "received_at": now, "status": "APPLIED", "code": None, "message": None,
            "entity_type": "Note", "entity_id": mutation_id, "version": 1}


async def test_each_logged_action_carries_the_seq_of_its_last_feed_row(db_url: str) -> None:
    """The mutation log row of an action gets the change seq of the last feed row its records
    made (what a replayed push answers); None when they made none."""
    db = Database(db_url)
    try:
        async with db.unit_of_work() as uow:
            def record(entity_id: str, audiences: set[str]) -> feed.ChangeRecord:
                return feed.record_change(uow.session, **_change(entity_id, 1, audiences))

            two = [record("a", {"user:1", "user:2", "ward-admins"}), record("b", {"user:1"})]
            seen_by_none = [record("c", set())]
            later = [record("d", {"user:3", "user:4"}), record("e", set())]
            log = [(_log_row("m1", 1), two), (_log_row("m2", 2), seen_by_none), (_log_row("m3", 3), []),
                   (_log_row("m4", 4), later)]
            await changefeed.flush_changes(uow.session, log)
            await uow.commit()
        rows = await _rows(db)
        last = {e: max(row.change_seq for key, row in rows.items() if key[0] == e) for e in "abd"}

        async with db.read_session() as session:
            stored = dict((await session.execute(sa.select(SyncMutation.mutation_id, SyncMutation.change_seq))).all())

        assert [row["change_seq"] for row, _ in log] == [last["b"], None, None, last["d"]]
        assert stored == {"m1": last["b"], "m2": None, "m3": None, "m4": last["d"]}
        assert last["a"] < last["b"] < last["d"]
    finally:
        await db.dispose()
