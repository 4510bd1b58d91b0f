"""safety (issue 3): ward admins' phones no longer hold a replica of the ward's safety data

Every safety status and check-in report was also written to the `ward-admins` audience.
Ward staff now read safety on the server (shelterStatus, rollCall, the exports: each read
audited); the feed rows they had become tombstones, with new change seqs so that the next
pull of a ward admin's phone drops them (backend/safety/visibility.py).

A phone drops an entity on any tombstone of it, whichever audience it was for. An admin
may still see some of these entities through another audience (their own status, their
household's): so each entity's other rows move after its tombstone, as a flush orders them
(tombstones first). Every phone that sees those entities pulls them once more.

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

from backend.core.sqltypes import UtcDateTime

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rows of every safety entity the ward admins see, numbered in their new order: entity by
# entity (in the order the admins' rows were written), the admins' row (the tombstone) first.
_MOVED = """
    SELECT c.entity_type, c.entity_id, c.audience,
           row_number() OVER (ORDER BY w.change_seq, c.audience <> 'ward-admins', c.audience) AS n
    FROM sync_change c
    JOIN sync_change w ON w.entity_type = c.entity_type AND w.entity_id = c.entity_id
     AND w.audience = 'ward-admins' AND w.op = 'UPSERT' AND w.entity_type IN ('SafetyStatus', 'CheckIn')
    WHERE c.op = 'UPSERT'
"""


def upgrade() -> None:
    conn = op.get_bind()
    # The counter's row stays locked to the commit: these seqs keep commit order.
    top = conn.execute(sa.text("UPDATE sync_counter SET value = value WHERE id = 1 RETURNING value")).scalar_one()
    null = "'null'::jsonb" if conn.dialect.name == 'postgresql' else "'null'"
    moved = conn.execute(sa.text(f"""
        UPDATE sync_change SET
            change_seq = :top + m.n,
            op = CASE WHEN sync_change.audience = 'ward-admins' THEN 'DELETE' ELSE sync_change.op END,
            data = CASE WHEN sync_change.audience = 'ward-admins' THEN {null} ELSE sync_change.data END,
            changed_at = :now
        FROM ({_MOVED}) AS m
        WHERE sync_change.entity_type = m.entity_type AND sync_change.entity_id = m.entity_id
          AND sync_change.audience = m.audience
    """).bindparams(sa.bindparam('now', type_=UtcDateTime())), {"top": int(top), "now": datetime.now(UTC)}).rowcount
    if moved:  # the seqs top + 1 … top + moved are taken
        conn.execute(sa.text("UPDATE sync_counter SET value = :value WHERE id = 1"), {"value": int(top) + moved})


def downgrade() -> None:
    pass
