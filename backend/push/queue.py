"""The delivery queue: claim due deliveries, and record what became of each.

A claim moves the rows' `due_at` a lease ahead and counts the attempt, in one statement: on
PostgreSQL the candidates are picked FOR UPDATE SKIP LOCKED, so workers never wait on or take
each other's rows; SQLite has one writer at a time anyway (BEGIN IMMEDIATE). A worker that dies
holding rows leaves them pending: they are claimed again once the lease has passed.

Every statement here costs about the rows it changes, whatever PostgreSQL believes the table
holds. A broadcast puts 100,000 rows into the queue within seconds, long before any ANALYZE
(autovacuum looks at most once a minute): planned with the statistics of a near-empty table, the
claim collected every due row into a bitmap and sorted them all for each batch of 250, and
recording "sent" by `message_id = ? AND subscription_id IN (...)` read every row of the message,
so the cost of a broadcast grew with the square of its size (bench/push_fanout.py: 200 s for
100,000 phones, 16 s for 30,000). The claim therefore walks the (state, due_at) index in order
and stops after its batch, and on PostgreSQL outcomes are recorded row by row by primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import utcnow
from backend.core.sqltypes import UtcDateTime
from backend.push.fanout import DELIVERY, MESSAGE, SUBS
from backend.push.rules import URGENT

D, S = DELIVERY, SUBS


@dataclass(frozen=True)
class MessageInfo:
    id: str
    kind: str
    category: int
    source_id: str
    params: dict[str, object]


@dataclass(frozen=True)
class Job:
    message_id: str
    subscription_id: str
    attempts: int  # including this one
    endpoint: str | None  # None: the subscription was deleted meanwhile
    p256dh: str = ""
    auth: str = ""
    locale: str = "ja"
    quiet_start: int | None = None
    quiet_end: int | None = None
    time_zone: str = "Asia/Tokyo"


@dataclass(frozen=True)
class Result:
    job: Job
    outcome: str  # sent | retry | defer | gone | failed
    status: int | None = None
    error: str | None = None
    due_at: datetime | None = None  # for retry and defer


async def anything_due(session: AsyncSession) -> bool:
    """A cheap read, so that an idle worker never takes SQLite's write lock just to find nothing."""
    due = sa.select(D.c.message_id).where(D.c.state == "pending", D.c.due_at <= utcnow()).limit(1)
    fanout = sa.select(MESSAGE.c.id).where(MESSAGE.c.fanout_done.is_(False)).limit(1)
    return (await session.scalar(due)) is not None or (await session.scalar(fanout)) is not None


async def claim(session: AsyncSession, *, limit: int, lease_s: float) -> list[Job]:
    """Up to `limit` due deliveries, earliest due first, each leased for `lease_s` seconds."""
    now = utcnow()
    candidates = (
        sa.select(D.c.message_id, D.c.subscription_id)
        .where(D.c.state == "pending", D.c.due_at <= now)
        .order_by(D.c.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
        # The index already holds the rows in due order: read it in order and stop at `limit`,
        # never "collect every due row, then sort" (this transaction only).
        await session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
    claimed = (await session.execute(
        sa.update(D)
        .where(sa.tuple_(D.c.message_id, D.c.subscription_id).in_(candidates))
        .values(due_at=now + timedelta(seconds=lease_s), attempts=D.c.attempts + 1)
        .returning(D.c.message_id, D.c.subscription_id, D.c.attempts)
    )).all()
    if not claimed:
        return []
    subs = {row.id: row for row in await session.execute(
        sa.select(S.c.id, S.c.endpoint, S.c.p256dh, S.c.auth, S.c.locale, S.c.quiet_start, S.c.quiet_end,
                  S.c.time_zone).where(S.c.id.in_({row.subscription_id for row in claimed}))
    )}
    jobs = []
    for row in claimed:
        sub = subs.get(row.subscription_id)
        if sub is None:
            jobs.append(Job(row.message_id, row.subscription_id, row.attempts, None))
        else:
            jobs.append(Job(row.message_id, row.subscription_id, row.attempts, sub.endpoint, sub.p256dh, sub.auth,
                            sub.locale, sub.quiet_start, sub.quiet_end, sub.time_zone))
    return jobs


async def messages(session: AsyncSession, ids: set[str]) -> dict[str, MessageInfo]:
    rows = await session.execute(
        sa.select(MESSAGE.c.id, MESSAGE.c.kind, MESSAGE.c.category, MESSAGE.c.source_id, MESSAGE.c.params)
        .where(MESSAGE.c.id.in_(ids))
    )
    return {r.id: MessageInfo(r.id, r.kind, r.category, r.source_id, dict(r.params)) for r in rows}


_STATE = {"sent": "sent", "retry": "pending", "defer": "pending", "gone": "gone", "failed": "failed"}
_UPDATE = (
    sa.update(D)
    .where(D.c.message_id == sa.bindparam("b_message"), D.c.subscription_id == sa.bindparam("b_subscription"))
    .values(state=sa.bindparam("b_state"), attempts=sa.bindparam("b_attempts"),
            due_at=sa.bindparam("b_due", type_=UtcDateTime()), last_status=sa.bindparam("b_status"),
            last_error=sa.bindparam("b_error"), sent_at=sa.bindparam("b_sent", type_=UtcDateTime()))
)


async def record(session: AsyncSession, results: list[Result]) -> None:
    """Few statements for many rows; subscriptions the push service calls gone are deleted.

    On SQLite the 'sent' rows (almost all of them) take one statement per message and status:
    its planner always looks `message_id = ? AND subscription_id IN (...)` up by primary key.
    PostgreSQL planned that with statistics from before the broadcast and read every row of the
    message, so there every row is updated by its own key (one statement, run for many rows)."""
    if not results:
        return
    now = utcnow()
    by_key = session.get_bind().dialect.name == "postgresql"
    sent: dict[tuple[str, int | None], list[str]] = {}
    for r in results:
        if r.outcome == "sent" and not by_key:
            sent.setdefault((r.job.message_id, r.status), []).append(r.job.subscription_id)
    for (message_id, status), subscription_ids in sent.items():
        await session.execute(
            sa.update(D).where(D.c.message_id == message_id, D.c.subscription_id.in_(subscription_ids))
            .values(state="sent", due_at=now, sent_at=now, last_status=status, last_error=None)
        )
    params = [{
        "b_message": r.job.message_id, "b_subscription": r.job.subscription_id, "b_state": _STATE[r.outcome],
        # Waiting out quiet hours is not an attempt.
        "b_attempts": r.job.attempts - 1 if r.outcome == "defer" else r.job.attempts,
        "b_due": r.due_at or now, "b_status": r.status, "b_error": (r.error or None) and r.error[:200],
        "b_sent": now if r.outcome == "sent" else None,
    } for r in results if by_key or r.outcome != "sent"]
    if params:
        await session.execute(_UPDATE, params)
    gone = {r.job.subscription_id for r in results if r.outcome == "gone" and r.job.endpoint is not None}
    if gone:
        await session.execute(sa.delete(S).where(S.c.id.in_(gone)))


async def next_fanout(session: AsyncSession) -> str | None:
    """A message whose fan-out is unfinished (locked for this transaction on PostgreSQL)."""
    ordinary = MESSAGE.c.category.op("&")(URGENT) == 0  # urgent ones first (rules.URGENT)
    query = (sa.select(MESSAGE.c.id).where(MESSAGE.c.fanout_done.is_(False))
             .order_by(ordinary, MESSAGE.c.created_at).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return await session.scalar(query)


async def purge(session: AsyncSession, *, older_than: timedelta, limit: int = 20) -> int:
    """Forget old messages and their deliveries (no push service keeps a message that long)."""
    ids = list(await session.scalars(
        sa.select(MESSAGE.c.id).where(MESSAGE.c.created_at < utcnow() - older_than, MESSAGE.c.fanout_done.is_(True))
        .order_by(MESSAGE.c.created_at).limit(limit)
    ))
    if ids:
        await session.execute(sa.delete(D).where(D.c.message_id.in_(ids)))
        await session.execute(sa.delete(MESSAGE).where(MESSAGE.c.id.in_(ids)))
    return len(ids)


async def counts(session: AsyncSession, message_id: str | None = None) -> dict[str, int]:
    """Deliveries by state (for tests, the benchmark and operators)."""
    query = sa.select(D.c.state, sa.func.count()).group_by(D.c.state)
    if message_id is not None:
        query = query.where(D.c.message_id == message_id)
    return {state: int(n) for state, n in (await session.execute(query)).all()}
