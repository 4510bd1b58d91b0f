"""What a domain calls to put an entity on the change feed that clients pull.

A domain records each entity it creates, changes or deletes, with the audiences allowed to
see it (see `audience.py`). The sync engine flushes the records just before the transaction
commits, which is where change sequence numbers are allocated in commit order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

ChangeOp = Literal["UPSERT", "DELETE"]
_KEY = "otagai.feed"


@dataclass
class ChangeRecord:
    entity_type: str
    entity_id: str
    op: ChangeOp
    version: int
    data: dict[str, Any] | None
    audiences: frozenset[str]
    change_seq: int | None = field(default=None)


def record_change(
    session: AsyncSession,
    *,
    entity_type: str,
    entity_id: str,
    version: int,
    data: dict[str, Any] | None,
    audiences: frozenset[str] | set[str],
    op: ChangeOp = "UPSERT",
) -> ChangeRecord:
    record = ChangeRecord(
        entity_type=entity_type,
        entity_id=entity_id,
        op=op,
        version=version,
        data=None if op == "DELETE" else data,
        audiences=frozenset(audiences),
    )
    pending(session).append(record)
    return record


def pending(session: AsyncSession) -> list[ChangeRecord]:
    records: list[ChangeRecord] = session.info.setdefault(_KEY, [])
    return records


def truncate(session: AsyncSession, length: int) -> None:
    """Forget records added after `length` (their savepoint was rolled back)."""
    del pending(session)[length:]


def take(session: AsyncSession) -> list[ChangeRecord]:
    records = pending(session)
    session.info[_KEY] = []
    return records
