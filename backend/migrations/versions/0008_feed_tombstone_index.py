"""sync (issue 3): the feed's (op, changed_at) index becomes a partial index of tombstones

Only the retention purge reads it (op = 'DELETE' and changed_at < horizon), and nearly every
feed row is an UPSERT: each one cost an index entry it never needed, and the full index let
PostgreSQL's planner probe it for op = 'UPSERT' lookups (bench/checkin_surge.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOMBSTONE = sa.text("op = 'DELETE'")


def upgrade() -> None:
    op.drop_index('ix_sync_change_op_changed', table_name='sync_change')
    op.create_index('ix_sync_change_tombstones', 'sync_change', ['changed_at'], unique=False,
                    postgresql_where=_TOMBSTONE, sqlite_where=_TOMBSTONE)


def downgrade() -> None:
    op.drop_index('ix_sync_change_tombstones', table_name='sync_change')
    op.create_index('ix_sync_change_op_changed', 'sync_change', ['op', 'changed_at'], unique=False)
