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


async def read_changes(
    session: AsyncSession, audiences: set[str], after: int, limit: int
) -> tuple[list[Change], bool, int]:
    rows = (
        await session.execute(
            sa.select(
                SyncChange.entity_type,
                SyncChange.entity_id,
                SyncChange.op,
                SyncChange.version,
                SyncChange.change_seq,
                SyncChange.data,
                SyncChange.changed_at,
            )
            .where(SyncChange.audience.in_(sorted(audiences)), SyncChange.change_seq > after)
            .order_by(SyncChange.change_seq)
            .limit(limit + 1)
        )
    ).all()
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
