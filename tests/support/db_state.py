"""Reading the server's database directly, so sync tests assert outcomes and not only replies."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from backend.accounts.models import User
from backend.core.db import Database
from backend.sync.models import SyncChange, SyncClient, SyncMutation
from tests.support.databases import test_note


async def mutation_log(db: Database, client_id: str) -> list[SyncMutation]:
    """The stored first results of one device, in seq order."""
    async with db.read_session() as session:
        rows = await session.scalars(
            sa.select(SyncMutation)
            .where(col(SyncMutation.client_id) == client_id)
            .order_by(col(SyncMutation.seq))
        )
        return list(rows)


async def logged_mutation(db: Database, mutation_id: str) -> SyncMutation | None:
    async with db.read_session() as session:
        return await session.get(SyncMutation, mutation_id)


async def count_logged(db: Database, mutation_ids: list[str]) -> int:
    async with db.read_session() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(SyncMutation)
            .where(col(SyncMutation.mutation_id).in_(mutation_ids))
        )
        return int(count or 0)


async def sync_client(db: Database, client_id: str) -> SyncClient | None:
    async with db.read_session() as session:
        return await session.get(SyncClient, client_id)


async def user(db: Database, user_id: str) -> User:
    async with db.read_session() as session:
        found = await session.get(User, user_id)
        assert found is not None, user_id
        return found


async def note(db: Database, note_id: str) -> Any:
    """The test_note row (tests/support/test_actions.py), or None."""
    async with db.read_session() as session:
        query = sa.select(test_note).where(test_note.c.id == note_id)
        return (await session.execute(query)).first()


async def notes(db: Database) -> dict[str, Any]:
    async with db.read_session() as session:
        return {row.id: row for row in await session.execute(sa.select(test_note))}


async def feed_rows(db: Database, entity_type: str, entity_id: str) -> list[SyncChange]:
    async with db.read_session() as session:
        rows = await session.scalars(
            sa.select(SyncChange).where(
                col(SyncChange.entity_type) == entity_type, col(SyncChange.entity_id) == entity_id
            )
        )
        return list(rows)
