"""Check-ins (安否確認): append-only reports, for oneself or for someone else.

Each report is kept; the person's current status per incident is recomputed from all of
their reports by rules.current_status and stored in safety_status for fast reads.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.accounts import service as accounts
from backend.board import households
from backend.core import audience, feed, pubsub
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from backend.core.ids import is_uuid
from backend.safety import geo, incidents, rules, visibility
from backend.safety.models import CheckIn, SafetyStatus, Shelter

MAX_COMMENT = 100  # as on the carriers' disaster message boards


def shelter_topic(shelter_id: str, incident_id: str) -> str:
    return f"shelter-status:{shelter_id}:{incident_id}"


async def reporter_role(
    session: AsyncSession, *, reporter_id: str, subject_id: str, shelter_id: str | None,
    current_shelter_id: str | None,
) -> str:
    """How the reporter may report for the subject, or Forbidden."""
    if reporter_id == subject_id:
        return "SELF"
    roles = await accounts.roles_of(session, reporter_id)
    if ("WARD_ADMIN", "") in roles:
        return "WARD_ADMIN"
    staffed = {scope for role, scope in roles if role == "SHELTER_STAFF"}
    if staffed & {shelter_id, current_shelter_id}:
        return "SHELTER_STAFF"
    if await households.shares_household(session, reporter_id, subject_id):
        return "HOUSEHOLD"
    led = {scope for role, scope in roles if role == "LEADER"}
    for household in await households.households_of_person(session, subject_id):
        if household.association_id in led:
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


def _report(c: CheckIn) -> rules.Report:
    return rules.Report(
        id=c.id, reporter_id=c.reporter_id, reporter_role=c.reporter_role, condition=c.condition,
        place=c.place, shelter_id=c.shelter_id, needs=tuple(c.needs), reported_at=c.reported_at,
        received_at=c.received_at,
    )


def checkin_data(c: CheckIn) -> dict[str, Any]:
    return {
        "id": c.id, "incidentId": c.incident_id, "subjectId": c.subject_id,
        "reporterId": c.reporter_id, "reporterRole": c.reporter_role, "condition": c.condition,
        "place": c.place, "shelterId": c.shelter_id, "needs": list(c.needs), "comment": c.comment,
        "location": ({"lat": c.coarse_lat, "lon": c.coarse_lon} if c.coarse_lat is not None else None),
        "reportedAt": c.reported_at.isoformat(), "clockFlagged": c.clock_flagged,
    }


def status_data(s: SafetyStatus) -> dict[str, Any]:
    return {
        "incidentId": s.incident_id, "personId": s.person_id, "condition": s.condition,
        "place": s.place, "shelterId": s.shelter_id, "needs": list(s.needs),
        "reporterId": s.reporter_id, "reportedAt": s.reported_at.isoformat(),
        "disputed": s.disputed, "checkInId": s.checkin_id,
    }


async def refresh_status(session: AsyncSession, incident_id: str, person_id: str) -> SafetyStatus | None:
    """Recompute a person's current status from all their reports and publish it."""
    reports = [
        _report(c)
        for c in await session.scalars(
            sa.select(CheckIn).where(CheckIn.incident_id == incident_id, CheckIn.subject_id == person_id)
        )
    ]
    decided = rules.current_status(reports)
    if decided is None:
        return None
    row = await session.get(SafetyStatus, (incident_id, person_id))
    before_shelter = row.shelter_id if row is not None else None
    where = decided.place_report
    values = dict(
        checkin_id=decided.report.id, condition=decided.report.condition, place=where.place,
        shelter_id=where.shelter_id, needs=sorted(set(decided.report.needs) | set(where.needs)),
        reporter_id=decided.report.reporter_id, reported_at=where.reported_at,
        disputed=decided.disputed,
        detail=({"contestedBy": decided.contested_by.id} if decided.contested_by else None),
    )
    if row is None:
        row = SafetyStatus(incident_id=incident_id, person_id=person_id, version=1, **values)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.version += 1
    session.add(row)
    await session.flush()
    feed.record_change(
        session, entity_type="SafetyStatus", entity_id=f"{incident_id}:{person_id}",
        version=row.version, data=status_data(row),
        audiences=await visibility.status_audiences(session, person_id, row.shelter_id),
    )
    topics = {shelter_topic(s, incident_id) for s in (before_shelter, row.shelter_id) if s}
    pubsub.publish_after_commit(session, topics)
    return row


async def check_in(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    condition, place, needs, comment = _validate(args)
    await incidents.require_open(session, str(args.incident_id))
    await people.ensure_person_for_user(session, ctx.user_id)
    subject_id = str(args.subject_id) if args.subject_id else ctx.user_id
    subject = await people.get_person(session, subject_id)
    if subject is None and is_uuid(subject_id) and await accounts.get_user(session, subject_id):
        subject = await people.ensure_person_for_user(session, subject_id)
    if subject is None:
        raise NotFound("No such person")
    subject_id = subject.id  # a merged duplicate reports on the surviving record
    shelter_id = str(args.shelter_id) if args.shelter_id else None
    if shelter_id and (not is_uuid(shelter_id) or await session.get(Shelter, shelter_id) is None):
        raise NotFound("No such shelter")
    if place == "SHELTER" and shelter_id is None:
        raise ValidationFailed("Choose the shelter you are at")
    if await session.get(CheckIn, str(args.id)) is not None:
        raise DomainError("A check-in with this id already exists", code="DUPLICATE_ID")
    current = await session.get(SafetyStatus, (str(args.incident_id), subject_id))
    role = await reporter_role(
        session, reporter_id=ctx.user_id, subject_id=subject_id, shelter_id=shelter_id,
        current_shelter_id=current.shelter_id if current else None,
    )
    if condition == "MISSING" and role == "SELF":
        raise ValidationFailed("MISSING is reported by someone else about a person")
    if condition == "DECEASED" and role not in rules.RESOLVERS:
        raise Forbidden("Only shelter staff or ward staff record a death")
    coarse_lat = coarse_lon = exact_lat = exact_lon = None
    if args.location is not None:
        lat, lon = float(args.location.lat), float(args.location.lon)
        if not geo.valid_point(lat, lon):
            raise ValidationFailed("The location is not a valid latitude and longitude")
        coarse_lat, coarse_lon = geo.coarse(lat, lon)
        if (await people.consent_of(session, subject_id)).exact_location:
            exact_lat, exact_lon = lat, lon
    checkin = CheckIn(
        id=str(args.id), incident_id=str(args.incident_id), subject_id=subject_id,
        reporter_id=ctx.user_id, reporter_role=role, condition=condition, place=place,
        shelter_id=shelter_id, needs=needs, comment=comment, coarse_lat=coarse_lat,
        coarse_lon=coarse_lon, exact_lat=exact_lat, exact_lon=exact_lon,
        client_time=ctx.client_time, reported_at=ctx.corrected_time,
        clock_flagged=ctx.clock_flagged, received_at=ctx.received_at,
    )
    session.add(checkin)
    await session.flush()
    audiences = await visibility.status_audiences(session, subject_id, shelter_id)
    audiences.add(audience.user(ctx.user_id))
    feed.record_change(
        session, entity_type="CheckIn", entity_id=checkin.id, version=1,
        data=checkin_data(checkin), audiences=audiences,
    )
    await refresh_status(session, checkin.incident_id, subject_id)
    return ActionOutcome(entity_type="CheckIn", entity_id=checkin.id, version=1)
