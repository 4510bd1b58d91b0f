"""The statements of the check-in hot path (checkins.py), built once and reused: building and
compiling them cost about as much CPU as running them (bench/checkin_surge.py)."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.accounts import people
from backend.board import households
from backend.core import bulk
from backend.safety import rules, visibility
from backend.safety.models import CheckIn, Incident, SafetyStatus, Shelter

CHECKIN: sa.Table = CheckIn.__table__  # type: ignore[attr-defined]
STATUS: sa.Table = SafetyStatus.__table__  # type: ignore[attr-defined]
_STATUS = STATUS
_INCIDENT: sa.Table = Incident.__table__  # type: ignore[attr-defined]
_SHELTER: sa.Table = Shelter.__table__  # type: ignore[attr-defined]
# A report's columns, read as r_<name> (rules.Report); a status's values beside its key and version.
REPORT = ("id", "reporter_id", "reporter_role", "condition", "place", "shelter_id", "needs",
          "reported_at", "received_at")
STATUS_VALUES = ("checkin_id", "condition", "place", "shelter_id", "needs", "reporter_id",
                 "reported_at", "disputed", "detail")


def reports_of(rows: Any) -> tuple[rules.Report, ...]:
    """The distinct reports among rows carrying r_* columns (snapshot statements)."""
    reports: dict[str, rules.Report] = {}
    for row in rows:
        if row.r_id is not None and row.r_id not in reports:
            reports[row.r_id] = rules.Report(
                id=row.r_id, reporter_id=row.r_reporter_id, reporter_role=row.r_reporter_role,
                condition=row.r_condition, place=row.r_place, shelter_id=row.r_shelter_id,
                needs=tuple(row.r_needs), reported_at=row.r_reported_at, received_at=row.r_received_at,
            )
    return tuple(reports.values())


@functools.cache
def snapshot_statement(with_reporter: bool, with_shelter: bool) -> sa.Select[Any]:
    """Everything a check-in reads, one row per (report x household), at least one row:
    i_* the incident, s_* the person's status, r_* each report, p_*/c_*/h_* the person's
    account, choices and households (visibility.parts), rp_id the reporter's person row and
    sh_id the shelter. Parameters: incident_id, person_id, reporter_id, shelter_id."""
    incident: Any = sa.bindparam("incident_id")
    person: Any = sa.bindparam("person_id")
    reporter: Any = sa.bindparam("reporter_id") if with_reporter else None
    parts = [
        sa.select(_INCIDENT.c.id.label("i_id"), _INCIDENT.c.closed_at.label("i_closed_at"))
        .where(_INCIDENT.c.id == incident).subquery("i"),
        sa.select(_STATUS.c.version.label("s_version"), _STATUS.c.shelter_id.label("s_shelter_id"))
        .where(_STATUS.c.incident_id == incident, _STATUS.c.person_id == person).subquery("s"),
        sa.select(*(CHECKIN.c[name].label(f"r_{name}") for name in REPORT))
        .where(CHECKIN.c.incident_id == incident, CHECKIN.c.subject_id == person).subquery("r"),
        *visibility.parts(person, reporter),
    ]
    if with_reporter:
        parts.append(people.person_subquery(reporter, name="rp"))
    if with_shelter:
        shelter: Any = sa.bindparam("shelter_id")
        parts.append(sa.select(_SHELTER.c.id.label("sh_id")).where(_SHELTER.c.id == shelter).subquery("sh"))
    return visibility.outer_join_all(parts)


def _insert(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


@functools.cache
def checkin_insert(dialect: str) -> Any:
    """SQLite: the report, unless its id exists (then nothing: the id was used before)."""
    return _insert(dialect)(CHECKIN).on_conflict_do_nothing(index_elements=["id"]).returning(CHECKIN.c.id)


def _upsert(stmt: Any) -> Any:
    """Insert at version 1, or replace the values and bump the version — only if the row is
    still at the version the caller read (`expected_version`; NULL: there was no row)."""
    changes: dict[str, Any] = {name: stmt.excluded[name] for name in STATUS_VALUES}
    changes["version"] = _STATUS.c.version + 1
    return stmt.on_conflict_do_update(
        index_elements=["incident_id", "person_id"], set_=changes,
        where=_STATUS.c.version == sa.bindparam("expected_version", type_=sa.Integer),
    ).returning(_STATUS.c.version)


@functools.cache
def status_upsert(dialect: str) -> Any:
    return _upsert(_insert(dialect)(_STATUS))


@functools.cache
def report_and_status() -> Any:
    """PostgreSQL: the report and the new status in one statement (one round trip). The status
    is written only if the report was (a used id writes nothing; the caller says DUPLICATE_ID)."""
    report = (
        pg_insert(CHECKIN)
        .values({c.name: sa.bindparam(f"c_{c.name}", type_=c.type) for c in CHECKIN.c})
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(CHECKIN.c.id)
        .cte("report")
    )
    names = [c.name for c in _STATUS.c]
    source = sa.select(*(sa.bindparam(f"s_{c.name}", type_=c.type) for c in _STATUS.c)).where(
        sa.exists(sa.select(report.c.id))
    )
    status = _upsert(pg_insert(_STATUS).from_select(names, source)).cte("status")
    return sa.select(
        sa.select(report.c.id).scalar_subquery().label("report_id"),
        sa.select(status.c.version).scalar_subquery().label("version"),
    )


# -- a whole push's check-ins at once (checkin_batch.py) -------------------------------------

@functools.cache
def batch_snapshot_statement(dialect: str) -> sa.Select[Any]:
    """snapshot_statement for many people in one incident: one row per (person x report x
    household) for each person that exists, the same labels plus p_id on every row.
    Parameters: incident_id, person_ids (a list), reporter_id.

    Every table is probed by key for each person: on PostgreSQL each is a LATERAL lookup
    correlated with the person row. Joined on `= ANY(…)` subqueries instead, the planner,
    which guesses ten elements for an array parameter, joined a hundred people to their
    households, choices and reports by nested loops filtering every pair (10,000 pairs a
    push), and read the choices table whole, comparing each row with the whole array; and
    `incident_id = :incident AND person_id = ANY(…)` read every status of the incident
    through the (incident, shelter) index (bench/checkin_surge.py). The person lists are
    arrays there (core/bulk.py): one statement and one plan for any batch size. SQLite
    probes the keys of an IN list by itself."""
    incident: Any = sa.bindparam("incident_id")
    persons: Any = bulk.list_param("person_ids", dialect)
    reporter: Any = sa.bindparam("reporter_id")
    p = people.persons_subquery(persons)
    status = sa.select(_STATUS.c.version.label("s_version"), _STATUS.c.shelter_id.label("s_shelter_id"))
    report = sa.select(*(CHECKIN.c[name].label(f"r_{name}") for name in REPORT))
    if dialect == "postgresql":
        # LIMIT / OFFSET keep each lookup a lookup: a plain LATERAL subquery is pulled up into
        # a join, planned from the statistics, which in a surge say the tables are empty.
        c: Any = people.consent_subquery(p.c.p_id).element.limit(1).lateral("c")
        s: Any = (status.where(_STATUS.c.incident_id == incident, _STATUS.c.person_id == p.c.p_id)
                  .limit(1).lateral("s"))
        r: Any = (report.where(CHECKIN.c.incident_id == incident, CHECKIN.c.subject_id == p.c.p_id)
                  .offset(0).lateral("r"))
        h: Any = households.person_households_subquery(p.c.p_id, also_member=reporter).element.offset(0).lateral("h")
        joined = p.outerjoin(c, sa.true()).outerjoin(s, sa.true()).outerjoin(r, sa.true()).outerjoin(h, sa.true())
        columns = [col for sub in (p, c, s, r, h) for col in sub.c]
        return sa.select(*columns).select_from(joined)
    c = people.consents_subquery(persons)
    s = status.add_columns(_STATUS.c.person_id.label("s_person")).where(
        _STATUS.c.incident_id == incident, bulk.in_list(_STATUS.c.person_id, persons)).subquery("s")
    r = report.add_columns(CHECKIN.c.subject_id.label("r_subject")).where(
        CHECKIN.c.incident_id == incident, bulk.in_list(CHECKIN.c.subject_id, persons)).subquery("r")
    h = households.person_households_subquery(persons, also_member=reporter, many=True)
    joined = (
        p.outerjoin(c, c.c.c_person == p.c.p_id)
        .outerjoin(s, s.c.s_person == p.c.p_id)
        .outerjoin(r, r.c.r_subject == p.c.p_id)
        .outerjoin(h, h.c.h_person == p.c.p_id)
    )
    keys = ("c_person", "s_person", "r_subject", "h_person")
    columns = [col for sub in (p, c, s, r, h) for col in sub.c if col.name not in keys]
    return sa.select(*columns).select_from(joined)


@functools.cache
def batch_lookup_statement(dialect: str) -> sa.CompoundSelect:
    """Which of the batch's incidents, shelters and check-in ids exist: (kind, id, closed_at)
    rows, kind 'i' an incident (closed_at), 's' a shelter, 'c' a check-in id already used.
    Parameters: incident_ids, shelter_ids, checkin_ids (lists)."""
    closed = sa.cast(sa.null(), _INCIDENT.c.closed_at.type)

    def listed(column: Any, name: str) -> Any:
        return bulk.in_list(column, bulk.list_param(name, dialect))

    used = bulk.rows_by_key(CHECKIN.c.id, bulk.list_param("checkin_ids", dialect),
                            sa.literal("c").label("kind"), CHECKIN.c.id, closed.label("closed_at"))
    return sa.union_all(
        sa.select(sa.literal("i").label("kind"), _INCIDENT.c.id.label("id"), _INCIDENT.c.closed_at.label("closed_at"))
        .where(listed(_INCIDENT.c.id, "incident_ids")),
        sa.select(sa.literal("s"), _SHELTER.c.id, closed).where(listed(_SHELTER.c.id, "shelter_ids")),
        used,
    )


def _insert_many(table: sa.Table, dialect: str, columns: tuple[str, ...]) -> Any:
    """PostgreSQL: the rows as one JSON parameter (core/bulk.py); SQLite: an executemany."""
    return bulk.insert_statement(table, columns) if dialect == "postgresql" else sqlite_insert(table)


@functools.cache
def checkin_insert_many(dialect: str, columns: tuple[str, ...]) -> Any:
    """Many reports at once, each unless its id exists. Returns the ids written."""
    stmt = _insert_many(CHECKIN, dialect, columns)
    return stmt.on_conflict_do_nothing(index_elements=["id"]).returning(CHECKIN.c.id)


@functools.cache
def status_write_many(dialect: str, columns: tuple[str, ...]) -> Any:
    """Many statuses at once: each row carries the version it will have, and replaces the
    stored one only if that is the version before (one less; none stored for version 1).
    Returns the rows written: a row missing means someone else reported on that person."""
    stmt = _insert_many(_STATUS, dialect, columns)
    changes: dict[str, Any] = {name: stmt.excluded[name] for name in (*STATUS_VALUES, "version")}
    return stmt.on_conflict_do_update(
        index_elements=["incident_id", "person_id"], set_=changes,
        where=_STATUS.c.version == stmt.excluded.version - 1,
    ).returning(_STATUS.c.incident_id, _STATUS.c.person_id)


def many_parameters(dialect: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> Any:
    """The parameters of `checkin_insert_many` / `status_write_many` for these rows."""
    return bulk.parameters(columns, rows) if dialect == "postgresql" else rows
