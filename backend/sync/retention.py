"""Purging tombstones and the mutation log after the retention period (≥ 180 days)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import utcnow
from backend.sync.models import SyncChange, SyncMutation, SyncServer


async def purge_expired(session: AsyncSession, *, retention: timedelta) -> int:
    """Delete tombstones and logged mutations older than `retention`; returns tombstones purged.

    Cursors at or below the highest purged tombstone can no longer be served: their pulls
    answer `resetRequired`.
    """
    horizon = utcnow() - retention
    expired = sa.and_(SyncChange.op == "DELETE", SyncChange.changed_at < horizon)
    top = await session.scalar(sa.select(sa.func.max(SyncChange.change_seq)).where(expired))
    if top is None:
        purged = 0
    else:
        result = await session.execute(sa.delete(SyncChange).where(expired))
        purged = result.rowcount or 0  # type: ignore[attr-defined]
        await session.execute(
            sa.update(SyncServer)
            .where(SyncServer.id == 1, SyncServer.min_cursor < top)
            .values(min_cursor=top)
        )
    await session.execute(sa.delete(SyncMutation).where(SyncMutation.received_at < horizon))
    return purged
