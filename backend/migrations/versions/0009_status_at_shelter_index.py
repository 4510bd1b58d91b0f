"""safety (issue 3): the statuses' (incident, shelter) index holds only statuses at a shelter

Its readers (a shelter's people, occupancy by shelter) all ask for a shelter. As a full index
it was the cheapest-looking way to find one person's status while the incident had none yet:
PostgreSQL cached that plan for the check-in's prepared snapshot query at the start of a surge
and kept it, reading every status of the incident for each check-in (26.6 ms of database CPU
per phone check-in at 100,000 statuses, bench/checkin_surge.py). A partial index cannot answer
`incident_id = … AND person_id = …`, so only the primary key can.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT_SHELTER = sa.text("shelter_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_safety_status_incident_shelter', table_name='safety_status')
    op.create_index('ix_safety_status_at_shelter', 'safety_status', ['incident_id', 'shelter_id'], unique=False,
                    postgresql_where=_AT_SHELTER, sqlite_where=_AT_SHELTER)


def downgrade() -> None:
    op.drop_index('ix_safety_status_at_shelter', table_name='safety_status')
    op.create_index('ix_safety_status_incident_shelter', 'safety_status', ['incident_id', 'shelter_id'], unique=False)
