"""Neighbourhood associations (町会・自治会), their members, groups (班) and households."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.board.street import sort_key
from backend.core.sqltypes import UtcDateTime

# Compared byte by byte on both databases (SQLite's default BINARY; "C" on PostgreSQL, whose
# locale collations ignore the key's marker characters).
BYTEWISE_TEXT = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _street_key_default(context: Any) -> str:
    """For bulk inserts that leave the key out (seeds, the drill): computed from the row."""
    row = context.get_current_parameters()
    return sort_key(row.get("address") or "", row["label"], row["id"])


class Association(SQLModel, table=True):
    __tablename__ = "association"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    # NFKC-folded name, to match 対象となる町会・自治会 in shelter open data.
    match_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, index=True))
    area_geojson: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # A closed association shows nothing to non-members; an open one lets anyone read its board.
    is_open: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class AssociationMember(SQLModel, table=True):
    __tablename__ = "association_member"

    association_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("association.id"), primary_key=True)
    )
    user_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True, index=True))
    joined_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    # An officer (役員: 会計, 班長…) may broadcast and send circulars; "" = a plain member.
    office: str = Field(default="", sa_column=sa.Column(sa.String(40), nullable=False, server_default=""))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))


class Household(SQLModel, table=True):
    __tablename__ = "household"
    # A leader's lists (circular receipts) page through an association in street order.
    __table_args__ = (sa.Index("ix_household_street", "association_id", "street_key"),)

    id: str = Field(primary_key=True, max_length=36)
    association_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("association.id"), nullable=False, index=True)
    )
    label: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    # Street order for the door-knock list: 丁目-番-号 as sortable text, then the label.
    address: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    group_name: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    # street.sort_key(address, label, id): street order, unique; kept up to date by the service.
    street_key: str = Field(default="", sa_column=sa.Column(
        BYTEWISE_TEXT, nullable=False, default=_street_key_default, server_default=""))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    created_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class HouseholdMember(SQLModel, table=True):
    __tablename__ = "household_member"

    household_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("household.id"), primary_key=True)
    )
    person_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True, index=True))


class AssociationGroup(SQLModel, table=True):
    """A group (班) of an association; households name theirs in `Household.group_name`."""

    __tablename__ = "association_group"
    __table_args__ = (sa.UniqueConstraint("association_id", "name"),)

    id: str = Field(primary_key=True, max_length=36)
    association_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("association.id"), nullable=False, index=True)
    )
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class AssociationInvite(SQLModel, table=True):
    __tablename__ = "association_invite"

    code: str = Field(primary_key=True, max_length=40)
    association_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("association.id"), nullable=False, index=True)
    )
    created_by: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    uses: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))


class JoinRequest(SQLModel, table=True):
    __tablename__ = "join_request"
    __table_args__ = (sa.Index("ix_join_request_association_status", "association_id", "status"),)

    id: str = Field(primary_key=True, max_length=36)
    association_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey("association.id"), nullable=False))
    user_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    message: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    status: str = Field(default="PENDING", sa_column=sa.Column(sa.String(20), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    decided_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    decided_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class Post(SQLModel, table=True):
    """A post, leader broadcast or circular (回覧板). Text is stored exactly as given."""

    __tablename__ = "post"
    __table_args__ = (
        sa.Index("ix_post_board", "association_id", "pinned", "created_at", "id"),
        sa.Index("ix_post_author_created", "author_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    association_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey("association.id"), nullable=False))
    author_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    language: str = Field(default="ja", sa_column=sa.Column(sa.String(20), nullable=False))
    urgency: str = Field(default="NORMAL", sa_column=sa.Column(sa.String(20), nullable=False))
    rsvp: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    pinned: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    hidden: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    hidden_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    deleted: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))


class PostRevision(SQLModel, table=True):
    """Every value a field of a post took (kind EDIT, `version` = the post version it made),
    and edits that lost a same-field conflict (kind LOST): nothing a resident typed is lost."""

    __tablename__ = "post_revision"
    __table_args__ = (sa.Index("ix_post_revision_post_version", "post_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    field: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    author_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    edited_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class Comment(SQLModel, table=True):
    __tablename__ = "post_comment"
    __table_args__ = (sa.Index("ix_post_comment_post", "post_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=36)
    post_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey("post.id"), nullable=False))
    association_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    author_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    hidden: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    hidden_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    deleted: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class CircularRead(SQLModel, table=True):
    """One household's receipt of a circular: read when any member opened it, or when a
    leader marked the household informed by hand; and its RSVP (last answer wins)."""

    __tablename__ = "circular_read"
    # Read counts and RSVP tallies of a circular from the index alone.
    __table_args__ = (sa.Index("ix_circular_read_tally", "post_id", "rsvp", "read_at"),)

    post_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey("post.id"), primary_key=True))
    household_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    association_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    read_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    read_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    informed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    rsvp: str | None = Field(default=None, sa_column=sa.Column(sa.String(20)))
    rsvp_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class ContentReport(SQLModel, table=True):
    __tablename__ = "content_report"
    __table_args__ = (sa.UniqueConstraint("target_id", "reporter_id"),)

    id: str = Field(primary_key=True, max_length=36)
    association_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    target_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    target_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    reporter_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    reason: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class PostPhoto(SQLModel, table=True):
    """A photo of a post, re-encoded server-side: small, JPEG, without EXIF (no GPS)."""

    __tablename__ = "post_photo"
    __table_args__ = (sa.Index("ix_post_photo_post", "post_id", "position"),)

    id: str = Field(primary_key=True, max_length=36)
    post_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey("post.id"), nullable=False))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    width: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    height: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
