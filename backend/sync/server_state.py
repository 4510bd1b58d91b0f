"""The server's epoch and the tombstone horizon."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import utcnow
from backend.core.ids import uuid7
from backend.sync.models import SyncCounter, SyncServer


@dataclass(frozen=True)
class ServerState:
    epoch: str
    min_cursor: int


async def ensure_server_state(session: AsyncSession) -> ServerState:
    """Create the singleton rows on a new database (idempotent)."""
    row = await session.get(SyncServer, 1)
    if row is None:
        row = SyncServer(id=1, epoch=uuid7(), min_cursor=0, created_at=utcnow())
        session.add(row)
    if await session.get(SyncCounter, 1) is None:
        session.add(SyncCounter(id=1, value=0))
    await session.flush()
    return ServerState(epoch=row.epoch, min_cursor=row.min_cursor)


async def server_state(session: AsyncSession) -> ServerState:
    row = (
        await session.execute(sa.select(SyncServer.epoch, SyncServer.min_cursor).where(SyncServer.id == 1))
    ).first()
    if row is None:
        raise RuntimeError("sync_server is empty: run `otagai db upgrade`")
    return ServerState(epoch=row.epoch, min_cursor=row.min_cursor)


async def new_epoch(session: AsyncSession) -> str:
    """After a restore from a backup: clients re-register and re-send (SYNC.md case 13)."""
    await ensure_server_state(session)
    epoch = uuid7()
    await session.execute(sa.update(SyncServer).where(SyncServer.id == 1).values(epoch=epoch))
    return epoch
