"""The queue's statements cost about the rows they change, however long the queue is.

A broadcast puts its rows into the queue within seconds, long before PostgreSQL's statistics
know of them; planned for a near-empty table, each claim collected and sorted every due row
and each "sent" read every row of the message (bench/push_fanout.py: 200 s for 100,000 phones
against 16 s for 30,000). Here a queue of QUEUE fresh rows is claimed and recorded, and the
plans the database actually used are checked: no step reads more than a batch."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.core.clock import utcnow
from backend.core.db import Database
from backend.core.ids import uuid7
from backend.push import queue
from backend.push.fanout import DELIVERY, MESSAGE
from tests.safety.community import ServerClock
from tests.support.query_plans import analyze, most_rows_read, sqlite_plan, statements

QUEUE = 10_000
BATCH = 50


async def queued_broadcast(db: Database, rows: int = QUEUE) -> str:
    """One message and `rows` pending deliveries, as a fan-out leaves them: the statistics still
    describe the table as it was before (empty here)."""
    if db.dialect == "postgresql":
        await analyze(db, "push_delivery")
    message_id, now = uuid7(), utcnow()
    async with db.unit_of_work() as uow:
        await uow.session.execute(sa.insert(MESSAGE).values(
            id=message_id, kind="incident", category=2, source_id="i-1", audience_kind="all", audience_id=None,
            params={}, created_at=now, fanout_cursor=None, fanout_done=True))
        await uow.session.execute(sa.insert(DELIVERY), [
            {"message_id": message_id, "subscription_id": uuid7(), "state": "pending", "attempts": 0, "due_at": now}
            for _ in range(rows)])
        await uow.commit()
    return message_id


async def test_a_claim_and_its_record_read_one_batch_of_a_long_fresh_queue(db_url: str) -> None:
    db = Database(db_url)
    try:
        await queued_broadcast(db)
        with statements(db) as claimed_with:
            async with db.unit_of_work() as uow:
                jobs = await queue.claim(uow.session, limit=BATCH, lease_s=30)
                await uow.commit()
        with statements(db) as recorded_with:
            async with db.unit_of_work() as uow:
                await queue.record(uow.session, [queue.Result(job, "sent", status=201) for job in jobs])
                await uow.commit()
        async with db.read_session() as session:
            counts = await queue.counts(session)

        assert len(jobs) == BATCH and counts == {"sent": BATCH, "pending": QUEUE - BATCH}
        if db.dialect == "postgresql":
            assert await most_rows_read(db, claimed_with, "UPDATE push_delivery") <= BATCH
            assert await most_rows_read(db, recorded_with, "UPDATE push_delivery") <= 1
        else:
            claim_plan = await sqlite_plan(db, claimed_with, "UPDATE push_delivery")
            assert "ix_push_delivery_state_due" in claim_plan and "TEMP B-TREE" not in claim_plan, claim_plan
            record_plan = await sqlite_plan(db, recorded_with, "UPDATE push_delivery")
            assert "(message_id=? AND subscription_id=?)" in record_plan, record_plan
    finally:
        await db.dispose()


async def test_claims_take_the_earliest_due_first_and_a_lapsed_lease_again(
    db_url: str, server_clock: ServerClock
) -> None:
    db = Database(db_url)
    try:
        message_id = await queued_broadcast(db, rows=4)
        async with db.unit_of_work() as uow:  # one delivery was tried before and is due again earlier
            retried = await uow.session.scalar(sa.select(DELIVERY.c.subscription_id).order_by(
                DELIVERY.c.subscription_id.desc()).limit(1))
            await uow.session.execute(sa.update(DELIVERY).where(DELIVERY.c.subscription_id == retried).values(
                attempts=1, due_at=utcnow() - timedelta(minutes=1)))
            await uow.commit()

        async def claim(limit: int) -> list[queue.Job]:
            async with db.unit_of_work() as uow:
                jobs = await queue.claim(uow.session, limit=limit, lease_s=30)
                await uow.commit()
            return jobs

        first = await claim(2)
        rest = await claim(10)
        server_clock.advance(timedelta(seconds=29))
        leased = await claim(10)
        server_clock.advance(timedelta(seconds=2))
        lapsed = await claim(10)

        assert (retried, 2) in [(j.subscription_id, j.attempts) for j in first]
        assert len(first) == 2 and len(rest) == 2 and leased == []
        assert {j.subscription_id for j in lapsed} == {j.subscription_id for j in first + rest}
        assert all(j.message_id == message_id and j.endpoint is None for j in lapsed)
    finally:
        await db.dispose()
