"""The pull side (SYNC.md "Pull"): changes since a cursor, from one consistent snapshot.

A cursor names the server epoch, the last change seen and a digest of the caller's
audiences. A cursor from another epoch, from before purged tombstones, or made while the
caller could see other things (joined or left an association, got a role) asks the client
to reset and pull from the start, so nothing that became visible is missed and nothing that
stopped being visible stays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import metrics
from backend.core.actions import Registry
from backend.core.clock import as_utc, utcnow
from backend.core.db import Database
from backend.core.errors import ValidationFailed
from backend.sync.models import SyncChange
from backend.sync.server_state import server_state

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Change:
    entity_type: str
    entity_id: str
    op: str
    version: int
    change_seq: int
    data: dict[str, Any] | None


@dataclass(frozen=True)
class PullReply:
    changes: list[Change]
    cursor: str
    has_more: bool
    reset_required: bool
    server_epoch: str


@dataclass(frozen=True)
class Cursor:
    epoch: str
    seq: int
    digest: str

    def encode(self) -> str:
        return f"{self.epoch}.{self.seq}.{self.digest}"

    @staticmethod
    def decode(text: str) -> Cursor:
        parts = text.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            raise ValidationFailed("Malformed cursor; pull from the start with cursor null")
        return Cursor(parts[0], int(parts[1]), parts[2])


def audience_digest(audiences: set[str]) -> str:
    return hashlib.sha256("\n".join(sorted(audiences)).encode()).hexdigest()[:16]


def changes_statement(audiences: set[str], after: int, limit: int, dialect: str) -> sa.Select[Any]:
    """The next `limit` changes the audiences see, in change order: each audience's from its own
    range of the (audience, change_seq) index, at most `limit` rows each, then merged.

    One `audience IN (…) ORDER BY change_seq LIMIT n` let the database walk the change_seq
    index and filter by audience, reading every row after the cursor for a phone that sees few
    of them — 1.4 s for one pull on the drill's database (20,000 residents, 286,000 feed rows)
    — whenever the statistics expected its audiences to turn up soon (frequent in the feed as
    a whole, rare since the cursor: tests/sync/test_pull_cost.py)."""
    columns = (SyncChange.entity_type, SyncChange.entity_id, SyncChange.op, SyncChange.version,
               SyncChange.change_seq, SyncChange.data, SyncChange.changed_at)
    per_audience = [
        sa.select(*columns).where(_is_audience(audience, dialect), SyncChange.change_seq > after)
        .order_by(SyncChange.audience, SyncChange.change_seq).limit(limit).subquery()
        for audience in sorted(audiences)
    ]
    merged = sa.union_all(*(sa.select(part) for part in per_audience)).subquery("changes")
    return sa.select(merged).order_by(merged.c.change_seq).limit(limit)


def _is_audience(audience: str, dialect: str) -> Any:
    """On PostgreSQL `= ANY` of a one-element array: with a plain `=` the planner knows the
    audience is constant, drops it from the ORDER BY, and is free to walk the change_seq index
    again (it did, in tests/sync/test_pull_cost.py). `= ANY` is still an equality for the
    index, whose (audience, change_seq) order is then the only one that fits."""
    if dialect == "postgresql":
        return SyncChange.audience == sa.any_(sa.literal([audience], ARRAY(sa.String)))
    return SyncChange.audience == audience


async def read_changes(
    session: AsyncSession, audiences: set[str], after: int, limit: int
) -> tuple[list[Change], bool, int]:
    rows = []
    if audiences:
        statement = changes_statement(audiences, after, limit + 1, session.get_bind().dialect.name)
        rows = list(await session.execute(statement))
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].change_seq if rows else after
    if rows:
        oldest = as_utc(min(row.changed_at for row in rows))
        metrics.PULL_LAG.observe(max(0.0, (utcnow() - oldest).total_seconds()))
    # One entity seen through several audiences: keep its latest row of this page.
    latest: dict[tuple[str, str], Change] = {}
    for row in rows:
        latest.pop((row.entity_type, row.entity_id), None)
        latest[(row.entity_type, row.entity_id)] = Change(
            row.entity_type, row.entity_id, row.op, row.version, row.change_seq, row.data
        )
    return list(latest.values()), has_more, last


class PullEngine:
    def __init__(self, db: Database, registry: Registry) -> None:
        self.db = db
        self.registry = registry

    async def pull(self, *, user_id: str, cursor: str | None, limit: int | None) -> PullReply:
        limit = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}")
        async with self.db.read_session() as session:
            state = await server_state(session)
            audiences = await self.registry.audiences_of(session, user_id)
            digest = audience_digest(audiences)
            start = Cursor(state.epoch, 0, digest)
            if cursor:
                try:
                    given = Cursor.decode(cursor)
                except ValidationFailed:  # not one of ours: start again from the beginning
                    return PullReply([], start.encode(), True, True, state.epoch)
                stale = (
                    given.epoch != state.epoch
                    or given.digest != digest
                    or (given.seq > 0 and given.seq < state.min_cursor)
                )
                if stale:
                    return PullReply([], start.encode(), True, True, state.epoch)
                start = given
            changes, has_more, last = await read_changes(session, audiences, start.seq, limit)
        await self._audit(user_id, changes)
        next_cursor = Cursor(state.epoch, last, digest)
        return PullReply(changes, next_cursor.encode(), has_more, False, state.epoch)

    async def _audit(self, user_id: str, changes: list[Change]) -> None:
        """Reads of other people's personal data are audited, offline reads included."""
        records = self.registry.audit_reads(user_id, [(c.entity_type, c.data) for c in changes])
        if records and self.registry.audit_writer is not None:
            async with self.db.unit_of_work() as uow:
                await self.registry.audit_writer(uow.session, user_id, records)
                await uow.commit()
