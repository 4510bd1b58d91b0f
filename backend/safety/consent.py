"""`setSafetyVisibility`: a resident decides who sees their safety status.

Changing it re-publishes the person's statuses and reports with the new audiences, so the
change feed turns what someone may no longer see into tombstones for them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.errors import ValidationFailed
from backend.safety import checkins, visibility
from backend.safety.models import CheckIn, SafetyStatus


def consent_data(consent: Any) -> dict[str, Any]:
    return {
        "personId": consent.person_id, "household": consent.household, "leaders": consent.leaders,
        "shelterStaff": consent.shelter_staff, "publicSearch": consent.public_search,
        "exactLocation": consent.exact_location,
    }


async def republish_person(session: AsyncSession, person_id: str, *, reports_changed: bool = False) -> None:
    """Send a person's statuses and reports again, to whoever may see them now.

    `reports_changed`: the reports themselves changed (they were moved to this person), so
    their versions go up; a mere change of audience keeps them.
    """
    for status in await session.scalars(sa.select(SafetyStatus).where(SafetyStatus.person_id == person_id)):
        status.version += 1
        session.add(status)
        feed.record_change(
            session, entity_type="SafetyStatus", entity_id=f"{status.incident_id}:{person_id}",
            version=status.version, data=checkins.status_data(status),
            audiences=await visibility.status_audiences(session, person_id, status.shelter_id),
        )
    for report in await session.scalars(sa.select(CheckIn).where(CheckIn.subject_id == person_id)):
        if reports_changed:
            report.version += 1
            session.add(report)
        audiences = await visibility.status_audiences(session, person_id, report.shelter_id)
        audiences.add(audience.user(report.reporter_id))
        feed.record_change(
            session, entity_type="CheckIn", entity_id=report.id, version=report.version,
            data=checkins.checkin_data(report), audiences=audiences,
        )


async def set_visibility(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    changes = {
        "household": args.household, "leaders": args.leaders, "shelter_staff": args.shelter_staff,
        "public_search": args.public_search, "exact_location": args.exact_location,
    }
    if all(value is None for value in changes.values()):
        raise ValidationFailed("Choose at least one visibility setting")
    person = await people.ensure_person_for_user(session, ctx.user_id)
    consent = await people.set_consent(session, person.id, changes)
    feed.record_change(
        session, entity_type="SafetyVisibility", entity_id=person.id, version=consent.version,
        data=consent_data(consent), audiences={audience.user(ctx.user_id)},
    )
    await republish_person(session, person.id)
    if args.exact_location is False:  # withdrawing exact location forgets stored positions
        await session.execute(
            sa.update(CheckIn).where(CheckIn.subject_id == person.id).values(exact_lat=None, exact_lon=None)
        )
    return ActionOutcome(entity_type="SafetyVisibility", entity_id=person.id, version=consent.version)
