"""market (issue 5): listings and claims

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.core.sqltypes

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    utc = backend.core.sqltypes.UtcDateTime(timezone=True)
    op.create_table('market_listing',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('quantity_left', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=12), nullable=False),
    sa.Column('association_id', sa.String(length=36), nullable=True),
    sa.Column('exact_lat', sa.Float(), nullable=False),
    sa.Column('exact_lon', sa.Float(), nullable=False),
    sa.Column('cell_lat', sa.Float(), nullable=False),
    sa.Column('cell_lon', sa.Float(), nullable=False),
    sa.Column('contact', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_by', sa.String(length=36), nullable=True),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('expires_at', utc, nullable=False),
    sa.Column('created_at', utc, nullable=False),
    sa.Column('updated_at', utc, nullable=False),
    sa.Column('field_versions', json, nullable=False),
    sa.Column('index_seq', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('market_listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_listing_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_listing_association_id'), ['association_id'], unique=False)
        batch_op.create_index('ix_market_listing_index_seq', ['index_seq'], unique=False)
        batch_op.create_index('ix_market_listing_status_expires', ['status', 'expires_at'], unique=False)

    op.create_table('market_claim',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('listing_id', sa.String(length=36), nullable=False),
    sa.Column('claimer_id', sa.String(length=36), nullable=False),
    sa.Column('claimer_name', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('owner_confirmed', sa.Boolean(), nullable=False),
    sa.Column('claimer_confirmed', sa.Boolean(), nullable=False),
    sa.Column('expires_at', utc, nullable=False),
    sa.Column('created_at', utc, nullable=False),
    sa.Column('updated_at', utc, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['market_listing.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('market_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_claim_claimer_id'), ['claimer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_claim_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_market_claim_listing_claimer', ['listing_id', 'claimer_id'], unique=False)

    op.create_table('market_listing_revision',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('listing_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('value', json, nullable=True),
    sa.Column('replaced_at', utc, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('market_listing_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_listing_revision_listing_id'), ['listing_id'], unique=False)

    op.create_table('market_report',
    sa.Column('listing_id', sa.String(length=36), nullable=False),
    sa.Column('reporter_id', sa.String(length=36), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('reported_at', utc, nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['market_listing.id'], ),
    sa.PrimaryKeyConstraint('listing_id', 'reporter_id')
    )
    op.create_table('market_index_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('generation', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(sa.table('market_index_state', sa.column('id', sa.Integer), sa.column('generation', sa.BigInteger)),
                   [{'id': 1, 'generation': 0}])


def downgrade() -> None:
    op.drop_table('market_index_state')
    op.drop_table('market_report')
    op.drop_table('market_listing_revision')
    with op.batch_alter_table('market_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_market_claim_listing_claimer')
        batch_op.drop_index(batch_op.f('ix_market_claim_owner_id'))
        batch_op.drop_index(batch_op.f('ix_market_claim_claimer_id'))
    op.drop_table('market_claim')
    with op.batch_alter_table('market_listing', schema=None) as batch_op:
        batch_op.drop_index('ix_market_listing_status_expires')
        batch_op.drop_index('ix_market_listing_index_seq')
        batch_op.drop_index(batch_op.f('ix_market_listing_association_id'))
        batch_op.drop_index(batch_op.f('ix_market_listing_owner_id'))
    op.drop_table('market_listing')
