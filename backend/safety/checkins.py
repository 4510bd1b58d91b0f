"""Check-ins (安否確認): append-only reports, for oneself or for someone else.

Each report is kept; the person's current status per incident is recomputed from all of
their reports by rules.current_status and stored in safety_status for fast reads.

The hot path of a surge (measured in bench/checkin_surge.py, where each database round trip
costs the server about a millisecond of CPU): a check-in reads everything it needs in one
query — the incident, the person's status and all their reports, their account, visibility
choices and households (and which of those the reporter shares), the reporter's person row
and the shelter — then writes the report and the status in one statement on PostgreSQL
(INSERT … ON CONFLICT DO NOTHING doubles as the duplicate-id check), two on SQLite. The
reporter's roles are read once per transaction. The status is written only if it is still
the version that was read: a report about the same person committed meanwhile by another
push makes this one NOT_PROCESSED (transient), and the device sends it again, so no report
is ever left out of the status it was decided from.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.accounts import service as accounts
from backend.core import audience, batching, events, feed, pubsub
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.errors import DomainError, Forbidden, NotFound, TransientError, ValidationFailed
from backend.core.ids import is_uuid
from backend.safety import checkin_batch, checkin_sql, geo, incidents, rules, visibility
from backend.safety.models import SafetyStatus

MAX_COMMENT = 100  # as on the carriers' disaster message boards
_ROLES = "otagai.safety.roles"
_STATUS_MAPPER: Any = sa.inspect(SafetyStatus)  # its identity keys, without the generic lookup per call


def shelter_topic(shelter_id: str, incident_id: str) -> str:
    return f"shelter-status:{shelter_id}:{incident_id}"


async def _roles(session: AsyncSession, user_id: str) -> frozenset[tuple[str, str]]:
    """The reporter's roles, read once per transaction (no action grants a role)."""
    cache: dict[str, frozenset[tuple[str, str]]] = session.info.setdefault(_ROLES, {})
    if user_id not in cache:
        cache[user_id] = await accounts.roles_of(session, user_id)
    return cache[user_id]


def _role_of(
    roles: frozenset[tuple[str, str]], *, shelter_id: str | None, current_shelter_id: str | None,
    homes: tuple[visibility.Home, ...],
) -> str:
    """How the reporter may report for someone else (SELF is decided before), or Forbidden."""
    if ("WARD_ADMIN", "") in roles:
        return "WARD_ADMIN"
    staffed = {scope for role, scope in roles if role == "SHELTER_STAFF"}
    if staffed & {shelter_id, current_shelter_id}:
        return "SHELTER_STAFF"
    if any(home.shared for home in homes):
        return "HOUSEHOLD"
    led = {scope for role, scope in roles if role == "LEADER"}
    if any(home.association_id in led for home in homes):
        return "LEADER"
    raise Forbidden("You may not report for this person")


def _validate(args: Any) -> tuple[str, str, list[str], str]:
    condition = str(getattr(args.condition, "value", args.condition))
    place = str(getattr(args.place, "value", args.place or "UNKNOWN"))
    needs = sorted({str(getattr(n, "value", n)) for n in (args.needs or [])})
    comment = (args.comment or "").strip()
    if condition not in rules.CONDITIONS or place not in rules.PLACES:
        raise ValidationFailed("Unknown condition or place")
    if any(n not in rules.NEEDS for n in needs):
        raise ValidationFailed("Unknown need")
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(f"The comment has at most {MAX_COMMENT} characters")
    if not is_uuid(str(args.id)):
        raise ValidationFailed("The check-in id must be a UUID made by the app")
    return condition, place, needs, comment


def _report(c: Any) -> rules.Report:
    return rules.Report(
        id=c.id, reporter_id=c.reporter_id, reporter_role=c.reporter_role, condition=c.condition,
        place=c.place, shelter_id=c.shelter_id, needs=tuple(c.needs), reported_at=c.reported_at,
        received_at=c.received_at,
    )


def checkin_data(c: Any) -> dict[str, Any]:
    return {
        "id": c.id, "incidentId": c.incident_id, "subjectId": c.subject_id,
        "reporterId": c.reporter_id, "reporterRole": c.reporter_role, "condition": c.condition,
        "place": c.place, "shelterId": c.shelter_id, "needs": list(c.needs), "comment": c.comment,
        "location": ({"lat": c.coarse_lat, "lon": c.coarse_lon} if c.coarse_lat is not None else None),
        "reportedAt": c.reported_at.isoformat(), "clockFlagged": c.clock_flagged,
    }


def status_data(s: Any) -> dict[str, Any]:
    return {
        "incidentId": s.incident_id, "personId": s.person_id, "condition": s.condition,
        "place": s.place, "shelterId": s.shelter_id, "needs": list(s.needs),
        "reporterId": s.reporter_id, "reportedAt": s.reported_at.isoformat(),
        "disputed": s.disputed, "checkInId": s.checkin_id,
    }


# -- one read: everything a check-in needs ------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    incident_open: bool | None  # None: no such incident
    reporter_found: bool  # the reporter's person row (asked only when reporting for another)
    shelter_found: bool  # (asked only when a shelter is given)
    status_version: int | None  # None: no status yet
    status_shelter_id: str | None
    reports: tuple[rules.Report, ...]
    seen: visibility.Visibility


async def _snapshot(
    session: AsyncSession, incident_id: str, person_id: str, *, reporter_id: str | None = None,
    shelter_id: str | None = None,
) -> Snapshot:
    """One round trip: the incident, the person's status and every report, their account,
    choices and households (rows: reports x households), and the reporter and the shelter."""
    await session.flush()  # Core reads: make this transaction's ORM writes visible first
    params = {"incident_id": incident_id, "person_id": person_id}
    if reporter_id is not None:
        params["reporter_id"] = reporter_id
    if shelter_id is not None:
        params["shelter_id"] = shelter_id
    statement = checkin_sql.snapshot_statement(reporter_id is not None, shelter_id is not None)
    rows = (await session.execute(statement, params)).all()
    first = rows[0]
    return Snapshot(
        incident_open=None if first.i_id is None else first.i_closed_at is None,
        reporter_found=reporter_id is None or first.rp_id is not None,
        shelter_found=shelter_id is not None and first.sh_id is not None,
        status_version=first.s_version, status_shelter_id=first.s_shelter_id,
        reports=checkin_sql.reports_of(rows), seen=await visibility.decode(session, person_id, rows),
    )


# -- writes ------------------------------------------------------------------------------------

def _dialect(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None
    return bind.dialect.name


class StatusChanged(TransientError):
    """Another transaction changed the person's status since it was read: send it again."""

    def __init__(self) -> None:
        super().__init__("Someone else reported on this person at the same moment; sending again",
                         retry_after_ms=200)


def _decide(incident_id: str, person_id: str, reports: list[rules.Report]) -> dict[str, Any] | None:
    decided = rules.current_status(reports)
    if decided is None:
        return None
    where = decided.place_report
    return {
        "incident_id": incident_id, "person_id": person_id, "checkin_id": decided.report.id,
        "condition": decided.report.condition, "place": where.place, "shelter_id": where.shelter_id,
        "needs": sorted(set(decided.report.needs) | set(where.needs)),
        "reporter_id": decided.report.reporter_id, "reported_at": where.reported_at,
        "disputed": decided.disputed,
        "detail": ({"contestedBy": decided.contested_by.id} if decided.contested_by else None),
        "version": 1,
    }


def _publish_status(session: AsyncSession, snap: Snapshot, values: dict[str, Any]) -> None:
    """The stored status on the feed, and a poke for the shelter screens it concerns."""
    incident_id, person_id = values["incident_id"], values["person_id"]
    # An ORM copy loaded earlier in this transaction would now be stale.
    stale = session.identity_map.get(_STATUS_MAPPER.identity_key_from_primary_key((incident_id, person_id)))
    if stale is not None:
        session.expire(stale)
    row = SimpleNamespace(**values)
    feed.record_change(
        session, entity_type="SafetyStatus", entity_id=f"{incident_id}:{person_id}",
        version=row.version, data=status_data(row), audiences=snap.seen.audiences(row.shelter_id),
    )
    topics = {shelter_topic(s, incident_id) for s in (snap.status_shelter_id, row.shelter_id) if s}
    pubsub.publish_after_commit(session, topics)


async def refresh_status(session: AsyncSession, incident_id: str, person_id: str) -> dict[str, Any] | None:
    """Recompute a person's current status from all their reports, store and publish it."""
    snap = await _snapshot(session, incident_id, person_id)
    values = _decide(incident_id, person_id, list(snap.reports))
    if values is None:
        return None
    values["version"] = await _store_status(session, values, snap.status_version)
    _publish_status(session, snap, values)
    return values


async def _store_status(session: AsyncSession, values: dict[str, Any], expected_version: int | None) -> int:
    params = {**values, "expected_version": expected_version}
    version = (await session.execute(checkin_sql.status_upsert(_dialect(session)), params)).scalar_one_or_none()
    if version is None:
        raise StatusChanged()
    return int(version)


async def _write(session: AsyncSession, report: dict[str, Any], status: dict[str, Any],
                 expected_version: int | None) -> int | None:
    """Store the report and the status; the status's version, or None if the id was used."""
    dialect = _dialect(session)
    if dialect != "postgresql":
        if (await session.execute(checkin_sql.checkin_insert(dialect), report)).first() is None:
            return None
        return await _store_status(session, status, expected_version)
    params = {f"c_{k}": v for k, v in report.items()} | {f"s_{k}": v for k, v in status.items()}
    row = (await session.execute(checkin_sql.report_and_status(), {**params, "expected_version": expected_version})).one()
    if row.report_id is None:
        return None
    if row.version is None:
        raise StatusChanged()
    return int(row.version)


def _from_batch(session: AsyncSession, incident_id: str, subject_id: str, *, reporter_id: str,
                shelter_id: str | None) -> Snapshot | None:
    """The snapshot read for the whole push (checkin_batch.py), if there is one."""
    found = checkin_batch.cached(session, incident_id, subject_id)
    if found is None:
        return None
    prefetch, subject = found
    return Snapshot(
        incident_open=prefetch.incidents.get(incident_id),
        reporter_found=subject_id == reporter_id or prefetch.reporter_found,
        shelter_found=shelter_id is not None and shelter_id in prefetch.shelters,
        status_version=subject.status_version, status_shelter_id=subject.status_shelter_id,
        reports=subject.reports, seen=subject.seen,
    )


async def _exists(session: AsyncSession, checkin_id: str) -> bool:
    used = checkin_batch.id_used(session, checkin_id)
    if used is not None:
        return used
    table = checkin_sql.CHECKIN
    return (await session.execute(sa.select(table.c.id).where(table.c.id == checkin_id))).first() is not None


def _duplicate() -> DomainError:
    return DomainError("A check-in with this id already exists", code="DUPLICATE_ID")


async def check_in(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    condition, place, needs, comment = _validate(args)
    incident_id, checkin_id = str(args.incident_id), str(args.id)
    subject_id = str(args.subject_id) if args.subject_id else ctx.user_id
    shelter_id = str(args.shelter_id) if args.shelter_id else None
    ask_shelter = shelter_id if shelter_id and is_uuid(shelter_id) else None
    if checkin_batch.pending_for(session, incident_id, subject_id):
        await batching.settle(session)  # decide from the stored effect of this push's earlier report
    snap = _from_batch(session, incident_id, subject_id, reporter_id=ctx.user_id, shelter_id=ask_shelter)
    batched = snap is not None
    if snap is None:
        snap = await _snapshot(session, incident_id, subject_id, shelter_id=ask_shelter,
                               reporter_id=None if subject_id == ctx.user_id else ctx.user_id)
    # The checks, in this order, as they always were.
    if not snap.incident_open:
        await incidents.require_open(session, incident_id)  # raises: no such incident, or closed
    if not snap.reporter_found:
        await people.ensure_person_for_user(session, ctx.user_id)
    if not snap.seen.found or snap.seen.merged_into is not None:
        if subject_id == ctx.user_id:  # the reporter's own person row, made on first need
            await people.ensure_person_for_user(session, subject_id)
        subject = await people.get_person(session, subject_id)
        if subject is None and is_uuid(subject_id) and await accounts.get_user(session, subject_id):
            subject = await people.ensure_person_for_user(session, subject_id)
        if subject is None:
            raise NotFound("No such person")
        subject_id = subject.id  # a merged duplicate reports on the surviving record
        batched = False
        snap = await _snapshot(session, incident_id, subject_id, shelter_id=ask_shelter,
                               reporter_id=None if subject_id == ctx.user_id else ctx.user_id)
    if shelter_id and not snap.shelter_found:
        raise NotFound("No such shelter")
    if place == "SHELTER" and shelter_id is None:
        raise ValidationFailed("Choose the shelter you are at")
    coarse_lat = coarse_lon = exact_lat = exact_lon = None
    try:
        role = "SELF" if subject_id == ctx.user_id else _role_of(
            await _roles(session, ctx.user_id), shelter_id=shelter_id,
            current_shelter_id=snap.status_shelter_id, homes=snap.seen.homes,
        )
        if condition == "MISSING" and role == "SELF":
            raise ValidationFailed("MISSING is reported by someone else about a person")
        if condition == "DECEASED" and role not in rules.RESOLVERS:
            raise Forbidden("Only shelter staff or ward staff record a death")
        if args.location is not None:
            lat, lon = float(args.location.lat), float(args.location.lon)
            if not geo.valid_point(lat, lon):
                raise ValidationFailed("The location is not a valid latitude and longitude")
            coarse_lat, coarse_lon = geo.coarse(lat, lon)
            if snap.seen.consent["exact_location"]:
                exact_lat, exact_lon = lat, lon
    except DomainError:
        if await _exists(session, checkin_id):  # a used id is told first, as always
            raise _duplicate() from None
        raise
    if batched and checkin_batch.id_used(session, checkin_id):
        raise _duplicate()
    checkin = SimpleNamespace(
        id=checkin_id, incident_id=incident_id, subject_id=subject_id,
        reporter_id=ctx.user_id, reporter_role=role, condition=condition, place=place,
        shelter_id=shelter_id, needs=needs, comment=comment, coarse_lat=coarse_lat,
        coarse_lon=coarse_lon, exact_lat=exact_lat, exact_lon=exact_lon,
        client_time=ctx.client_time, reported_at=ctx.corrected_time,
        clock_flagged=ctx.clock_flagged, received_at=ctx.received_at, version=1,
    )
    status = _decide(incident_id, subject_id, [*snap.reports, _report(checkin)])
    assert status is not None  # there is at least this report
    if batched:  # written with the rest of the push (checkin_batch.py)
        status["version"] = (snap.status_version or 0) + 1
        checkin_batch.defer(session, vars(checkin), status)
    else:
        version = await _write(session, vars(checkin), status, snap.status_version)
        if version is None:
            raise _duplicate()
        status["version"] = version
    audiences = snap.seen.audiences(shelter_id)
    audiences.add(audience.user(ctx.user_id))
    feed.record_change(
        session, entity_type="CheckIn", entity_id=checkin_id, version=1,
        data=checkin_data(checkin), audiences=audiences,
    )
    _publish_status(session, snap, status)
    if subject_id != ctx.user_id:  # a push to the person reported about (backend/push)
        await events.emit(session, events.CHECKIN_BY_PROXY, checkin_id=checkin_id, incident_id=incident_id,
                          subject_id=subject_id, reporter_id=ctx.user_id, condition=condition)
    return ActionOutcome(entity_type="CheckIn", entity_id=checkin_id, version=1)
