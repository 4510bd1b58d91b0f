"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Always timezone-aware UTC in Python, whatever the database keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JsonData: sa.types.TypeEngine[Any] = sa.JSON().with_variant(JSONB(), "postgresql")


def key_string(length: int) -> sa.types.TypeEngine[str]:
    """A varchar compared byte by byte on every database: for opaque keys (ids, audience
    names) whose order means nothing. PostgreSQL otherwise compares text in the database's
    locale (strcoll for each comparison, even under C.UTF-8); SQLite always compares bytes.
    Only for columns compared with parameters or other key_string columns: an index keeps
    its column's collation, and `a = b` across two collations cannot use both indexes."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")

