"""Neighbourhood associations (町会・自治会), their members, groups (班) and households."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.sqltypes import UtcDateTime


class Association(SQLModel, table=True):
    __tablename__ = "association"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    # NFKC-folded name, to match 対象となる町会・自治会 in shelter open data.
    match_name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, index=True))
    area_geojson: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class AssociationMember(SQLModel, table=True):
    __tablename__ = "association_member"

    association_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("association.id"), primary_key=True)
    )
    user_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True, index=True))
    joined_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class Household(SQLModel, table=True):
    __tablename__ = "household"

    id: str = Field(primary_key=True, max_length=36)
    association_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("association.id"), nullable=False, index=True)
    )
    label: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    # Street order for the door-knock list: 丁目-番-号 as sortable text, then the label.
    address: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    group_name: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
    created_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class HouseholdMember(SQLModel, table=True):
    __tablename__ = "household_member"

    household_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("household.id"), primary_key=True)
    )
    person_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True, index=True))
