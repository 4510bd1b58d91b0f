"""Account tables: users, bearer tokens (stored hashed), roles and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.sqltypes import JsonData, UtcDateTime


class User(SQLModel, table=True):
    __tablename__ = "account_user"

    id: str = Field(primary_key=True, max_length=36)
    email: str = Field(sa_column=sa.Column(sa.String(254), nullable=False, unique=True))
    password_hash: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    display_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    locale: str = Field(default="ja", sa_column=sa.Column(sa.String(20), nullable=False))
    languages: list[str] = Field(
        default_factory=list, sa_column=sa.Column(JsonData, nullable=False)
    )
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class AuthToken(SQLModel, table=True):
    __tablename__ = "account_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("account_user.id"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    last_used_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))


class UserRole(SQLModel, table=True):
    __tablename__ = "account_role"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "scope_id", name="uq_account_role"),)

    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("account_user.id"), nullable=False, index=True
        )
    )
    role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    # Empty string, not NULL, for ward-wide roles: NULLs never collide in a unique constraint.
    scope_id: str = Field(default="", sa_column=sa.Column(sa.String(36), nullable=False))
    granted_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class AuditEntry(SQLModel, table=True):
    """Every read of someone else's personal data and every privileged write."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False, index=True))
    actor_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36), index=True))
    action: str = Field(sa_column=sa.Column(sa.String(60), nullable=False))
    subject_type: str | None = Field(default=None, sa_column=sa.Column(sa.String(40)))
    subject_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36), index=True))
    detail: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JsonData))


class Person(SQLModel, table=True):
    """Someone whose safety matters: a user (same id) or a person without an account
    (an elderly neighbour, a child, someone registered at shelter reception)."""

    __tablename__ = "person"

    id: str = Field(primary_key=True, max_length=36)
    user_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36), unique=True))
    display_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    # NFKC-folded name used for search (kana/kanji variants, widths, name order).
    search_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, index=True))
    # The reading in kana (よみがな), folded the same way, so 鈴木 is found as すずき.
    search_kana: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), index=True))
    birth_year: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    phone_digits: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), index=True))
    created_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    merged_into: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class SafetyConsent(SQLModel, table=True):
    """Who may see a person's safety status (opt-in privacy, the Aizu model)."""

    __tablename__ = "safety_consent"

    person_id: str = Field(primary_key=True, max_length=36)
    household: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    leaders: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    shelter_staff: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    public_search: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    exact_location: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
