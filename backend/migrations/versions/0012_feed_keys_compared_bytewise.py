"""sync (issue 3): the feed's and the mutation log's keys are compared byte by byte

sync_change (entity_type, entity_id, audience) and sync_mutation (mutation_id, client_id)
are opaque keys; every push inserts and looks up rows by them. Under the database's locale
(C.UTF-8 here, ja_JP.UTF-8 at a ward) each index comparison called strcoll: 10 % of
PostgreSQL's time in a batched push (perf). COLLATE "C" compares bytes: 384 → 362 µs of
PostgreSQL per batched check-in (bench/checkin_compare.py, 100,000 residents). No query
joins these columns to another table's (an index keeps its column's collation; see
backend/core/sqltypes.key_string). The ordering is code point order, as SQLite's and
Python's. SQLite compares bytes already: nothing to do there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 22:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = {  # table → (column, length)
    'sync_change': (('entity_type', 40), ('entity_id', 100), ('audience', 100)),
    'sync_mutation': (('mutation_id', 64), ('client_id', 64)),
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, columns in KEYS.items():
        changes = ', '.join(f'ALTER COLUMN {name} TYPE varchar({length}) COLLATE "{collation}"'
                            for name, length in columns)
        op.execute(f'ALTER TABLE {table} {changes}')


def upgrade() -> None:
    _collate('C')


def downgrade() -> None:
    _collate('default')
