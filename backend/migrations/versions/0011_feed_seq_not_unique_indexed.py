"""sync (issue 3): the feed's change_seq has no unique index of its own

The seqs are unique by construction: each flush takes its range from sync_counter under the
counter's row lock (backend/sync/changefeed.py). No read uses an index on change_seq alone —
pulls read (audience, change_seq), the retention purge the tombstone index — and the unique
index cost every feed row a uniqueness probe and an index entry: PostgreSQL 432 → 406 µs per
batched check-in without it (bench/checkin_compare.py, 100,000 residents). Without it, the
planner can no longer pick a walk of the whole feed in seq order for a pull either.

SQLite cannot drop a constraint in place: the table is copied (alembic batch mode), the
unnamed constraint found by a naming convention.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 21:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = 'sync_change_change_seq_key'  # PostgreSQL's name for the unnamed constraint of 0001
_NAMING = {'uq': '%(table_name)s_%(column_0_name)s_key'}  # the same name for SQLite's reflection


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(_NAME, 'sync_change', type_='unique')
        return
    with op.batch_alter_table('sync_change', naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint(_NAME, type_='unique')


def downgrade() -> None:
    with op.batch_alter_table('sync_change') as batch_op:
        batch_op.create_unique_constraint(_NAME, ['change_seq'])
