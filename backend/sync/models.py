"""Sync tables: server epoch, the change counter, devices, the mutation log and the change feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.sqltypes import JsonData, UtcDateTime, key_string


class SyncServer(SQLModel, table=True):
    """One row. `epoch` changes when the database is restored or reset (SYNC.md case 13)."""

    __tablename__ = "sync_server"

    id: int = Field(default=1, primary_key=True)
    epoch: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    # Pull cursors below this were issued before tombstones that have since been purged.
    min_cursor: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class SyncCounter(SQLModel, table=True):
    """One row, updated inside each writing transaction: changeSeq in commit order."""

    __tablename__ = "sync_counter"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))


class SyncClient(SQLModel, table=True):
    """One installation of the app, bound to the user of its first push."""

    __tablename__ = "sync_client"

    client_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    last_seq: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    app_version: str | None = Field(default=None, sa_column=sa.Column(sa.String(40)))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    last_seen_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    clock_offset_ms: float | None = Field(default=None, sa_column=sa.Column(sa.Float))


class SyncMutation(SQLModel, table=True):
    """The first result of every processed action, kept for replays and audit."""

    __tablename__ = "sync_mutation"
    __table_args__ = (sa.Index("ix_sync_mutation_client_seq", "client_id", "seq"),)

    mutation_id: str = Field(sa_column=sa.Column(key_string(64), primary_key=True))
    client_id: str = Field(sa_column=sa.Column(key_string(64), nullable=False))
    seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    user_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(60), nullable=False))
    args_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    args_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    args: dict[str, Any] = Field(sa_column=sa.Column(JsonData, nullable=False))
    client_time: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    corrected_time: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    clock_flagged: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    received_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False, index=True))
    status: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    code: str | None = Field(default=None, sa_column=sa.Column(sa.String(60)))
    message: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    entity_type: str | None = Field(default=None, sa_column=sa.Column(sa.String(40)))
    entity_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    version: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    change_seq: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))


class SyncChange(SQLModel, table=True):
    """The latest state of each entity for each audience that may see it.

    A change moves the row to a new `change_seq`, so the feed holds one row per entity and
    audience; deletes stay as tombstones for the retention period.
    """

    __tablename__ = "sync_change"
    __table_args__ = (
        sa.Index("ix_sync_change_audience_seq", "audience", "change_seq"),
        # Tombstones only: what the retention purge reads (nearly every row is an UPSERT).
        sa.Index("ix_sync_change_tombstones", "changed_at",
                 postgresql_where=sa.text("op = 'DELETE'"), sqlite_where=sa.text("op = 'DELETE'")),
    )

    # Compared bytewise (migration 0012): every feed row is found and inserted by these.
    entity_type: str = Field(sa_column=sa.Column(key_string(40), primary_key=True))
    entity_id: str = Field(sa_column=sa.Column(key_string(100), primary_key=True))
    audience: str = Field(sa_column=sa.Column(key_string(100), primary_key=True))
    # Unique by construction (each flush's range comes from sync_counter under its row lock);
    # no unique index: no read needs one, and each feed row paid for it (migration 0011).
    change_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    op: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    data: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JsonData))
    changed_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
