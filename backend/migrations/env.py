"""Alembic environment: the database comes from OTAGAI_DATABASE_URL (or the caller)."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from backend.api.models import metadata
from backend.core.db import driver_url, sqlite_path

config = context.config
url = config.get_main_option("otagai.database_url") or os.environ.get(
    "OTAGAI_DATABASE_URL", "sqlite:///var/otagai.sqlite3"
)
path = sqlite_path(url)
if path is not None:
    path.parent.mkdir(parents=True, exist_ok=True)

engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
