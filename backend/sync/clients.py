"""A device's registration with the push engine (`sync_client`): its owner and `last_seq`."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import utcnow
from backend.core.errors import HttpError
from backend.sync.envelopes import Batch
from backend.sync.models import SyncClient, SyncServer

CLIENT: sa.Table = SyncClient.__table__  # type: ignore[attr-defined]
_SERVER: sa.Table = SyncServer.__table__  # type: ignore[attr-defined]
_EPOCH = sa.select(_SERVER.c.epoch).where(_SERVER.c.id == 1).scalar_subquery()


class ClientOwnedByAnotherUser(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "CLIENT_OWNED_BY_ANOTHER_USER", "This clientId belongs to another user")


@dataclass
class Client:
    client_id: str
    last_seq: int
    epoch: str  # the server's (sync_server), read in the same statement


_REGISTERED = ("client_id", "user_id", "last_seq", "app_version", "created_at", "last_seen_at")


@functools.cache
def _lock_statement(dialect: str) -> Any:
    """Built once: building and compiling it on every push cost a phone's push (one to five
    check-ins) about 5 % of the server's CPU (bench/checkin_surge.py)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(CLIENT).values({name: sa.bindparam(name, type_=CLIENT.c[name].type) for name in _REGISTERED})
    return stmt.on_conflict_do_update(
        index_elements=["client_id"], set_={"last_seq": CLIENT.c.last_seq}
    ).returning(CLIENT.c.user_id, CLIENT.c.last_seq, _EPOCH.label("epoch"))


_PROGRESS = sa.update(CLIENT).where(CLIENT.c.client_id == sa.bindparam("c_client_id")).values(
    {name: sa.bindparam(name, type_=CLIENT.c[name].type)
     for name in ("last_seq", "last_seen_at", "app_version", "clock_offset_ms")}
)


async def lock_client(session: AsyncSession, batch: Batch, user_id: str) -> Client:
    """Register the client on its first push and lock its row until the commit.

    One statement: an INSERT whose conflict branch is a no-op UPDATE, which takes the row lock
    (PostgreSQL; SQLite writers are serialized anyway) and returns the current row and the
    server's epoch, where an INSERT ... DO NOTHING, a SELECT ... FOR UPDATE and a read of the
    epoch took three round trips.
    """
    now = utcnow()
    row = (await session.execute(_lock_statement(session.get_bind().dialect.name), {
        "client_id": batch.client_id, "user_id": user_id, "last_seq": 0,
        "app_version": batch.app_version[:40], "created_at": now, "last_seen_at": now,
    })).one()
    if row.epoch is None:
        raise RuntimeError("sync_server is empty: run `otagai db upgrade`")
    if row.user_id != user_id:
        raise ClientOwnedByAnotherUser()
    return Client(batch.client_id, row.last_seq, row.epoch)


async def record_progress(session: AsyncSession, client: Client, batch: Batch, *, seen_at: datetime,
                          clock_offset_ms: float) -> None:
    """After a push: how far the client got, when it was last seen, its app and clock offset."""
    await session.execute(_PROGRESS, {
        "c_client_id": client.client_id, "last_seq": client.last_seq, "last_seen_at": seen_at,
        "app_version": batch.app_version[:40], "clock_offset_ms": clock_offset_ms,
    })
