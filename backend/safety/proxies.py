"""People checked in by others: registering someone without a phone, and merging duplicates.

A household member or a leader registers a person into a household; shelter staff register
people at reception (name, and phone or birth year to tell namesakes apart). When the same
person was registered twice by different people, staff link the records: the duplicate's
reports move to the surviving record and its status is recomputed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.accounts import service as accounts
from backend.board import households
from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.ids import is_uuid
from backend.safety import checkins, visibility
from backend.safety.consent import republish_person
from backend.safety.models import CheckIn, SafetyStatus


async def _is_staff_or_admin(session: AsyncSession, user_id: str) -> bool:
    roles = await accounts.roles_of(session, user_id)
    return any(role in ("SHELTER_STAFF", "WARD_ADMIN") for role, _ in roles)


async def register_person(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    if not is_uuid(str(args.id)):
        raise ValidationFailed("The person id must be a UUID made by the app")
    await people.ensure_person_for_user(session, ctx.user_id)
    household = None
    if args.household_id:
        household = await households.get_household(session, str(args.household_id))
        roles = await accounts.roles_of(session, ctx.user_id)
        leads = ("LEADER", household.association_id) in roles or ("WARD_ADMIN", "") in roles
        member = ctx.user_id in await households.member_ids(session, household.id)
        households.can_manage(household=household, actor_id=ctx.user_id, actor_leads=leads, actor_is_member=member)
    elif not await _is_staff_or_admin(session, ctx.user_id):
        raise Forbidden("Register a person into your household, or ask shelter staff")
    person = await people.create_person(
        session, person_id=str(args.id), display_name=args.display_name, created_by=ctx.user_id,
        birth_year=args.birth_year, phone=args.phone, name_kana=args.name_kana,
    )
    if args.public_search:
        await people.set_consent(session, person.id, {"public_search": True})
    viewers = {audience.user(ctx.user_id), audience.WARD_ADMINS}
    if household is not None:
        await households.add_household_member(session, household=household, person_id=person.id)
        await households.record_household(session, household)
        viewers |= {audience.household(household.id), audience.association_leaders(household.association_id)}
    feed.record_change(
        session, entity_type="Person", entity_id=person.id, version=person.version,
        data=people.person_data(person), audiences=viewers,
    )
    return ActionOutcome(entity_type="Person", entity_id=person.id, version=person.version)


async def link_persons(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    if not await _is_staff_or_admin(session, ctx.user_id):
        raise Forbidden("Only shelter staff or ward staff merge duplicate records")
    keep = await people.get_person(session, str(args.person_id))
    duplicate = await people.get_person(session, str(args.duplicate_id))
    if keep is None or duplicate is None:
        raise NotFound("No such person")
    if keep.id == duplicate.id:
        raise ValidationFailed("These are already the same record")
    if duplicate.user_id is not None:
        raise ValidationFailed("A person with an account cannot be merged into another record")
    duplicate.merged_into = keep.id
    duplicate.version += 1
    session.add(duplicate)
    incidents = set(
        await session.scalars(sa.select(CheckIn.incident_id).where(CheckIn.subject_id == duplicate.id))
    )
    await session.execute(sa.update(CheckIn).where(CheckIn.subject_id == duplicate.id).values(subject_id=keep.id))
    for household_id in await households.move_memberships(session, from_person=duplicate.id, to_person=keep.id):
        await households.record_household(session, await households.get_household(session, household_id))
    for incident_id in incidents:
        old = await session.get(SafetyStatus, (incident_id, duplicate.id))
        if old is not None:
            feed.record_change(
                session, entity_type="SafetyStatus", entity_id=f"{incident_id}:{duplicate.id}",
                version=old.version + 1, data=None, audiences=set(), op="DELETE",
            )
            await session.delete(old)
        await session.flush()
        await checkins.refresh_status(session, incident_id, keep.id)
    feed.record_change(
        session, entity_type="Person", entity_id=duplicate.id, version=duplicate.version,
        data=None, audiences=set(), op="DELETE",
    )
    await republish_person(session, keep.id, reports_changed=True)
    return ActionOutcome(entity_type="Person", entity_id=keep.id, version=keep.version)


async def publish_person(session: AsyncSession, person_id: str) -> None:
    """A person's name record to everyone who shares a household with them (and their
    leaders): a member who joins with their own account appears by name on the household
    screen, as one registered by someone else always did. Their status follows their consent."""
    person = await people.get_person(session, person_id)
    if person is None:
        return
    viewers = {audience.WARD_ADMINS}
    for who in (person.user_id, person.created_by):
        if who:
            viewers.add(audience.user(who))
    for home in (await visibility.of_person(session, person_id)).homes:
        viewers |= {audience.household(home.id), audience.association_leaders(home.association_id)}
    feed.record_change(
        session, entity_type="Person", entity_id=person.id, version=person.version,
        data=people.person_data(person), audiences=viewers,
    )
