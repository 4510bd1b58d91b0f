"""checkIn for a whole push at once (core/batching.py).

A leader knocking on doors or a reception desk sends up to 100 check-ins about different
people in one push. Before the push engine runs them, `prepare` reads what they all need in
two queries — which incidents, shelters and check-in ids exist, and every subject's status,
reports, account, choices and households — where each check-in alone reads it in one query
of its own. Each check-in then decides exactly as alone (checkins.check_in) and hands its
report and new status to the scope; `_write` stores them all in two statements when the
scope settles. A subject reported on twice in one push settles the scope first, so the
second report is decided from the first one's stored state; a status someone else changed
meanwhile fails the write, and the engine runs the push again without a scope, where that
check-in is told to send again (StatusChanged), as always.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import batching
from backend.core.ids import is_uuid
from backend.safety import checkin_sql, rules, visibility

MIN_BATCH = 3  # below this, two batch queries cost more than one snapshot per check-in
_NAME = "safety.checkin"


@dataclass(frozen=True)
class Subject:
    status_version: int | None
    status_shelter_id: str | None
    reports: tuple[rules.Report, ...]
    seen: visibility.Visibility


@dataclass
class Prefetch:
    reporter_found: bool
    incidents: dict[str, bool]  # found incident → open
    shelters: set[str]
    used_ids: set[str]  # check-in ids already stored
    subjects: dict[tuple[str, str], Subject]  # (incident, person)
    pending_ids: set[str] = field(default_factory=set)
    pending_subjects: set[tuple[str, str]] = field(default_factory=set)


def _subject_of(args: Any, user_id: str) -> str:
    return str(args.subject_id) if args.subject_id else user_id


async def prepare(session: AsyncSession, user_id: str, batch: list[Any]) -> None:
    scope = batching.scope_of(session)
    if scope is None or len(batch) < MIN_BATCH:
        return
    by_incident: dict[str, set[str]] = {}
    shelters: set[str] = set()
    ids: set[str] = set()
    for args in batch:
        incident, subject = str(args.incident_id), _subject_of(args, user_id)
        if not (is_uuid(incident) and is_uuid(subject)):
            continue  # left to the check-in itself, which says what is wrong
        by_incident.setdefault(incident, set()).add(subject)
        if args.shelter_id and is_uuid(str(args.shelter_id)):
            shelters.add(str(args.shelter_id))
        if is_uuid(str(args.id)):
            ids.add(str(args.id))
    if not by_incident:
        return
    await session.flush()  # Core reads: make this transaction's ORM writes visible first
    dialect = session.get_bind().dialect.name
    found = (await session.execute(checkin_sql.batch_lookup_statement(dialect), {
        "incident_ids": sorted(by_incident), "shelter_ids": sorted(shelters), "checkin_ids": sorted(ids),
    })).all()
    prefetch = Prefetch(
        reporter_found=False,
        incidents={row.id: row.closed_at is None for row in found if row.kind == "i"},
        shelters={row.id for row in found if row.kind == "s"},
        used_ids={row.id for row in found if row.kind == "c"},
        subjects={},
    )
    for incident, subjects in by_incident.items():
        rows = (await session.execute(checkin_sql.batch_snapshot_statement(dialect), {
            "incident_id": incident, "person_ids": sorted(subjects | {user_id}), "reporter_id": user_id,
        })).all()
        by_person: dict[str, list[Any]] = {}
        for row in rows:
            by_person.setdefault(row.p_id, []).append(row)
        prefetch.reporter_found = prefetch.reporter_found or user_id in by_person
        for person_id, person_rows in by_person.items():
            if person_id in subjects:
                prefetch.subjects[(incident, person_id)] = await _subject(session, person_id, person_rows)
    scope.cache[_NAME] = prefetch


async def _subject(session: AsyncSession, person_id: str, rows: Sequence[Any]) -> Subject:
    first = rows[0]
    return Subject(first.s_version, first.s_shelter_id, checkin_sql.reports_of(rows),
                   await visibility.decode(session, person_id, rows))


def _prefetch(session: AsyncSession) -> Prefetch | None:
    scope = batching.scope_of(session)
    prefetch: Prefetch | None = scope.cache.get(_NAME) if scope is not None else None
    return prefetch


def pending_for(session: AsyncSession, incident_id: str, subject_id: str) -> bool:
    """Whether a report about this person waits in the scope (then settle before reading)."""
    prefetch = _prefetch(session)
    return prefetch is not None and (incident_id, subject_id) in prefetch.pending_subjects


def cached(session: AsyncSession, incident_id: str, subject_id: str) -> tuple[Prefetch, Subject] | None:
    prefetch = _prefetch(session)
    if prefetch is None:
        return None
    subject = prefetch.subjects.get((incident_id, subject_id))
    return None if subject is None else (prefetch, subject)


def id_used(session: AsyncSession, checkin_id: str) -> bool | None:
    """Whether a check-in id is stored or waits in the scope; None: not known here."""
    prefetch = _prefetch(session)
    if prefetch is None or not is_uuid(checkin_id):
        return None
    return checkin_id in prefetch.used_ids or checkin_id in prefetch.pending_ids


def defer(session: AsyncSession, report: dict[str, Any], status: dict[str, Any]) -> None:
    """Keep a report and the status it leads to for the scope's one write (status["version"]
    is the version it will have: one more than the version read, 1 if there was none)."""
    prefetch = _prefetch(session)
    scope = batching.scope_of(session)
    assert prefetch is not None and scope is not None
    prefetch.pending_ids.add(report["id"])
    prefetch.pending_subjects.add((status["incident_id"], status["person_id"]))
    scope.defer(_NAME, _write, (report, status))


class _Conflict(Exception):
    pass


async def _write(session: AsyncSession, items: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    dialect = session.get_bind().dialect.name
    reports, statuses = [report for report, _ in items], [status for _, status in items]
    columns = tuple(name for name in reports[0] if name in checkin_sql.CHECKIN.c)
    stored = (await session.execute(checkin_sql.checkin_insert_many(dialect, columns), checkin_sql.many_parameters(
        dialect, columns, reports))).all()
    if len(stored) != len(items):
        raise _Conflict("a check-in id was stored by another push meanwhile")
    columns = tuple(name for name in statuses[0] if name in checkin_sql.STATUS.c)
    written = (await session.execute(checkin_sql.status_write_many(dialect, columns), checkin_sql.many_parameters(
        dialect, columns, statuses))).all()
    if len(written) != len(items):
        raise _Conflict("someone else reported on one of these people meanwhile")
