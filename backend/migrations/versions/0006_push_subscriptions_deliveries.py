"""push (issue 6): Web Push subscriptions and the delivery queue

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import backend.core.sqltypes

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = backend.core.sqltypes.UtcDateTime(timezone=True)
    op.create_table(
        'push_subscription',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('endpoint', sa.Text(), nullable=False),
        sa.Column('endpoint_hash', sa.String(length=64), nullable=False),
        sa.Column('p256dh', sa.String(length=128), nullable=False),
        sa.Column('auth', sa.String(length=64), nullable=False),
        sa.Column('locale', sa.String(length=20), nullable=False),
        sa.Column('categories', sa.Integer(), nullable=False),
        sa.Column('all_associations', sa.Boolean(), nullable=False),
        sa.Column('quiet_start', sa.Integer(), nullable=True),
        sa.Column('quiet_end', sa.Integer(), nullable=True),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('created_at', utc, nullable=False),
        sa.Column('updated_at', utc, nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('endpoint_hash'),
    )
    op.create_index('ix_push_subscription_user_id', 'push_subscription', ['user_id'], unique=False)
    op.create_table(
        'push_subscription_association',
        sa.Column('subscription_id', sa.String(length=36), nullable=False),
        sa.Column('association_id', sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(['subscription_id'], ['push_subscription.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('subscription_id', 'association_id'),
    )
    op.create_table(
        'push_message',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('category', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.String(length=64), nullable=False),
        sa.Column('audience_kind', sa.String(length=12), nullable=False),
        sa.Column('audience_id', sa.String(length=36), nullable=True),
        sa.Column('params', backend.core.sqltypes.JsonData, nullable=False),
        sa.Column('created_at', utc, nullable=False),
        sa.Column('fanout_cursor', sa.String(length=36), nullable=True),
        sa.Column('fanout_done', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_push_message_fanout_done', 'push_message', ['fanout_done'], unique=False)
    op.create_table(
        'push_delivery',
        sa.Column('message_id', sa.String(length=36), nullable=False),
        sa.Column('subscription_id', sa.String(length=36), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('due_at', utc, nullable=False),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('sent_at', utc, nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['push_message.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('message_id', 'subscription_id'),
    )
    op.create_index('ix_push_delivery_state_due', 'push_delivery', ['state', 'due_at'], unique=False)
    op.create_index('ix_push_delivery_subscription_id', 'push_delivery', ['subscription_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_push_delivery_subscription_id', table_name='push_delivery')
    op.drop_index('ix_push_delivery_state_due', table_name='push_delivery')
    op.drop_table('push_delivery')
    op.drop_index('ix_push_message_fanout_done', table_name='push_message')
    op.drop_table('push_message')
    op.drop_table('push_subscription_association')
    op.drop_index('ix_push_subscription_user_id', table_name='push_subscription')
    op.drop_table('push_subscription')
