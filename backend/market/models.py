"""Marketplace tables: listings (requests and offers), claims on them, the revisions kept when
an edit overwrote a field, reports, and the counter that keeps the near-me index fresh."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.sqltypes import JsonData, UtcDateTime


class Listing(SQLModel, table=True):
    """A request or an offer. The exact position is kept for the owner only; everything
    shown to anyone is the centre of its grid cell (`cell_lat`, `cell_lon`)."""

    __tablename__ = "market_listing"
    __table_args__ = (
        sa.Index("ix_market_listing_index_seq", "index_seq"),
        sa.Index("ix_market_listing_status_expires", "status", "expires_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    owner_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    owner_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    category: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    body: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    quantity: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    quantity_left: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    visibility: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    # The owner's association: who sees an ASSOCIATION listing, who moderates it, and the
    # "same association" marker for everyone else.
    association_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36), index=True))
    exact_lat: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    exact_lon: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    cell_lat: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    cell_lon: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    # Chosen by the owner; shown only to the people whose claim matched.
    contact: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    hidden: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    hidden_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    report_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    # Which version last changed each editable field (optimistic concurrency, SYNC.md).
    field_versions: dict[str, int] = Field(
        default_factory=dict, sa_column=sa.Column(JsonData, nullable=False)
    )
    # Allocated from `market_index_state` whenever what the near-me index holds changes.
    index_seq: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class Claim(SQLModel, table=True):
    """A claim on part of a listing; the first commit on the server wins."""

    __tablename__ = "market_claim"
    __table_args__ = (sa.Index("ix_market_claim_listing_claimer", "listing_id", "claimer_id"),)

    id: str = Field(primary_key=True, max_length=36)
    listing_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("market_listing.id"), nullable=False)
    )
    claimer_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    claimer_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    owner_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    quantity: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    owner_confirmed: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    claimer_confirmed: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class ListingRevision(SQLModel, table=True):
    """A field value overwritten by a concurrent edit ("same field: later wins, loser kept")."""

    __tablename__ = "market_listing_revision"

    id: str = Field(primary_key=True, max_length=36)
    listing_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, index=True))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    field: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    value: Any = Field(default=None, sa_column=sa.Column(JsonData))
    replaced_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class ListingReport(SQLModel, table=True):
    """One resident's report of a listing (a second report by the same person changes nothing)."""

    __tablename__ = "market_report"

    listing_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("market_listing.id"), primary_key=True)
    )
    reporter_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    reason: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    reported_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class IndexState(SQLModel, table=True):
    """One row: the counter behind `Listing.index_seq`, locked until commit like the change
    feed's, so a reader that sees generation N has been able to see every change up to N."""

    __tablename__ = "market_index_state"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    generation: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
