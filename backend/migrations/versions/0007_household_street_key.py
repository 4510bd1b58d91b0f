"""board (issue 4): households keyed in street order and circular tallies from an index, for
circular receipts a page at a time

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backend.board.street import sort_key

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BYTEWISE = sa.Text().with_variant(sa.Text(collation='C'), 'postgresql')


def upgrade() -> None:
    op.add_column('household', sa.Column('street_key', _BYTEWISE, nullable=False, server_default=''))
    household = sa.table('household', sa.column('id', sa.String), sa.column('label', sa.String),
                         sa.column('address', sa.String), sa.column('street_key', sa.Text))
    conn = op.get_bind()
    rows = conn.execute(sa.select(household.c.id, household.c.label, household.c.address)).all()
    keys = [{'row_id': r.id, 'key': sort_key(r.address or '', r.label, r.id)} for r in rows]
    if keys:
        conn.execute(
            household.update().where(household.c.id == sa.bindparam('row_id')).values(street_key=sa.bindparam('key')),
            keys,
        )
    op.create_index('ix_household_street', 'household', ['association_id', 'street_key'], unique=False)
    op.create_index('ix_circular_read_tally', 'circular_read', ['post_id', 'rsvp', 'read_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_circular_read_tally', table_name='circular_read')
    op.drop_index('ix_household_street', table_name='household')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('street_key')
