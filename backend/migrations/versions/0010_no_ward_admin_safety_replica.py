"""safety (issue 3): ward admins' phones no longer hold a replica of the ward's safety data

Every safety status and check-in report was also written to the `ward-admins` audience.
Ward staff now read safety on the server (shelterStatus, rollCall, the exports: each read
audited); the feed rows they had become tombstones, with new change seqs so that the next
pull of a ward admin's phone drops them (backend/safety/visibility.py).

Downgrading keeps the tombstones: the earlier code writes the rows again as each status or
report next changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 21:30:00
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from backend.core.sqltypes import JsonData, UtcDateTime

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FEED = sa.table(
    'sync_change', sa.column('entity_type', sa.String), sa.column('entity_id', sa.String),
    sa.column('audience', sa.String), sa.column('change_seq', sa.BigInteger), sa.column('op', sa.String),
    sa.column('data', JsonData), sa.column('changed_at', UtcDateTime()),
)
_COUNTER = sa.table('sync_counter', sa.column('id', sa.Integer), sa.column('value', sa.BigInteger))
_SAFETY = ('SafetyStatus', 'CheckIn')
_CHUNK = 1000


def upgrade() -> None:
    conn = op.get_bind()
    seen = sa.and_(_FEED.c.audience == 'ward-admins', _FEED.c.entity_type.in_(_SAFETY), _FEED.c.op == 'UPSERT')
    keys = conn.execute(sa.select(_FEED.c.entity_type, _FEED.c.entity_id).where(seen)
                        .order_by(_FEED.c.change_seq)).all()
    if not keys:
        return
    # Locked for the rest of the migration's transaction: seqs stay in commit order.
    top = conn.execute(sa.update(_COUNTER).where(_COUNTER.c.id == 1).values(value=_COUNTER.c.value + len(keys))
                       .returning(_COUNTER.c.value)).scalar_one()
    first = int(top) - len(keys) + 1
    now = datetime.now(UTC)
    tombstone = (
        sa.update(_FEED)
        .where(_FEED.c.entity_type == sa.bindparam('k_type'), _FEED.c.entity_id == sa.bindparam('k_id'),
               _FEED.c.audience == 'ward-admins')
        .values(op='DELETE', data=None, changed_at=now, change_seq=sa.bindparam('k_seq'))
    )
    rows = [{'k_type': t, 'k_id': i, 'k_seq': first + n} for n, (t, i) in enumerate(keys)]
    for start in range(0, len(rows), _CHUNK):
        conn.execute(tombstone, rows[start:start + _CHUNK])


def downgrade() -> None:
    pass
