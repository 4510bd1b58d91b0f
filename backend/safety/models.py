"""Safety tables: incidents, shelters and their status per incident, check-ins and the
current safety status of each person per incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.sqltypes import JsonData, UtcDateTime


class Incident(SQLModel, table=True):
    """An earthquake, a flood — or a drill (訓練), labelled as such everywhere."""

    __tablename__ = "incident"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    is_drill: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    opened_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    opened_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    closed_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    purge_after: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    purged_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class Shelter(SQLModel, table=True):
    """A shelter (指定避難所) or evacuation site (指定緊急避難場所), from open data."""

    __tablename__ = "shelter"

    id: str = Field(primary_key=True, max_length=36)
    common_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(14), unique=True))
    # Stable key for rows without a common ID (municipality code + name + coordinates).
    derived_key: str = Field(sa_column=sa.Column(sa.String(80), nullable=False, unique=True))
    municipality_code: str = Field(default="", sa_column=sa.Column(sa.String(6), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    name_kana: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    name_en: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    address: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    lat: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    lon: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    capacity: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    welfare: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    hazards: list[str] = Field(default_factory=list, sa_column=sa.Column(JsonData, nullable=False))
    phone: str = Field(default="", sa_column=sa.Column(sa.String(40), nullable=False))
    accessibility: list[str] = Field(
        default_factory=list, sa_column=sa.Column(JsonData, nullable=False)
    )
    associations: list[str] = Field(
        default_factory=list, sa_column=sa.Column(JsonData, nullable=False)
    )
    content_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class ShelterAssociation(SQLModel, table=True):
    """A site designated for an association (対象となる町会・自治会)."""

    __tablename__ = "shelter_association"

    shelter_id: str = Field(
        sa_column=sa.Column(sa.String(36), sa.ForeignKey("shelter.id"), primary_key=True)
    )
    association_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True, index=True))


class ShelterIncidentStatus(SQLModel, table=True):
    """Opening status of a shelter during an incident (EEI: 未開設 / 開設 / 閉鎖 / 不明)."""

    __tablename__ = "shelter_incident_status"

    shelter_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    incident_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    status: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    opened_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    closed_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    occupancy: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class CheckIn(SQLModel, table=True):
    """One safety report, append-only: by the person themself or by a proxy."""

    __tablename__ = "checkin"
    # Subject first: a person's reports in an incident (every check-in reads them) and in all
    # incidents (visibility changes, merges); incident-wide reads (export, purge) take it all.
    __table_args__ = (sa.Index("ix_checkin_subject_incident", "subject_id", "incident_id"),)

    id: str = Field(primary_key=True, max_length=64)
    incident_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    subject_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    reporter_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    reporter_role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    condition: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    place: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    shelter_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    needs: list[str] = Field(default_factory=list, sa_column=sa.Column(JsonData, nullable=False))
    comment: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    coarse_lat: float | None = Field(default=None, sa_column=sa.Column(sa.Float))
    coarse_lon: float | None = Field(default=None, sa_column=sa.Column(sa.Float))
    exact_lat: float | None = Field(default=None, sa_column=sa.Column(sa.Float))
    exact_lon: float | None = Field(default=None, sa_column=sa.Column(sa.Float))
    client_time: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    reported_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    clock_flagged: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    received_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    # The report never changes, but who it is about can (staff merged a duplicate record).
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))


class SafetyStatus(SQLModel, table=True):
    """The current status of one person in one incident, kept up to date on every check-in
    so that roll-call and shelter views read one row per person."""

    __tablename__ = "safety_status"
    __table_args__ = (
        # Only statuses at a shelter (what the shelter views and occupancy read): a full index
        # let a plan PostgreSQL cached while the incident had no status read every status of
        # the incident to find one person's (migration 0009).
        sa.Index("ix_safety_status_at_shelter", "incident_id", "shelter_id",
                 postgresql_where=sa.text("shelter_id IS NOT NULL"), sqlite_where=sa.text("shelter_id IS NOT NULL")),
        # A person's statuses in every incident (re-published when visibility or household changes).
        sa.Index("ix_safety_status_person", "person_id"),
    )

    incident_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    person_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    checkin_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    condition: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    place: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    shelter_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    needs: list[str] = Field(default_factory=list, sa_column=sa.Column(JsonData, nullable=False))
    reporter_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    reported_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    # A help report not cleared by someone else's SAFE: staff see both and resolve.
    disputed: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    detail: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JsonData))
    version: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False))
