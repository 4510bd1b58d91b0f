"""Joining an association — invite codes (QR links), join requests a leader approves — officers,
and leaving. Whoever joins without a household there gets a one-person household (API.md)."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.accounts import service as accounts
from backend.board import access, associations, households
from backend.board.errors import InviteInvalid
from backend.board.models import AssociationInvite, AssociationMember, JoinRequest
from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.clock import utcnow
from backend.core.errors import NotFound, ValidationFailed
from backend.core.ids import new_id

INVITE_TTL = timedelta(days=90)
MAX_OFFICE = 40


@dataclass(frozen=True)
class Joined:
    association_id: str
    household_id: str
    new_member: bool


async def create_invite(session: AsyncSession, *, actor_id: str, association_id: str) -> AssociationInvite:
    await associations.get_association(session, association_id)
    await access.require_leader(session, actor_id, association_id)
    now = utcnow()
    # 72 random bits, URL-safe: short enough for a QR code, too many to guess.
    invite = AssociationInvite(code=secrets.token_urlsafe(9), association_id=association_id,
                               created_by=actor_id, created_at=now, expires_at=now + INVITE_TTL)
    session.add(invite)
    await session.flush()
    return invite


async def join_with_code(session: AsyncSession, *, user_id: str, code: str) -> Joined:
    invite = await session.get(AssociationInvite, (code or "").strip()[:40])
    if invite is None or invite.expires_at <= utcnow():
        raise InviteInvalid("This invitation is unknown or has expired; ask a leader for a new one")
    invite.uses += 1
    session.add(invite)
    return await admit(session, association_id=invite.association_id, user_id=user_id)


async def admit(session: AsyncSession, *, association_id: str, user_id: str) -> Joined:
    """Make the user a member, with a household in the association (a new one-person one,
    labelled with their display name, when they have none there)."""
    await associations.get_association(session, association_id)
    new_member = await associations.add_member(session, association_id=association_id, user_id=user_id)
    person = await people.ensure_person_for_user(session, user_id)
    theirs = [h for h in await households.households_of_person(session, person.id)
              if h.association_id == association_id]
    if theirs:
        household = theirs[0]
    else:
        household = await households.create_household(
            session, association_id=association_id, label=person.display_name, created_by=user_id,
        )
        await households.add_household_member(session, household=household, person_id=person.id,
                                              new_household=True)
        await households.record_household(session, household)
    if new_member:  # the association itself reaches them through its members' audience
        await record_member(session, association_id=association_id, user_id=user_id)
    return Joined(association_id, household.id, new_member)


async def record_member(session: AsyncSession, *, association_id: str, user_id: str) -> None:
    member = await access.membership(session, user_id, association_id)
    user = await accounts.get_user(session, user_id)
    if member is None or user is None:
        return
    feed.record_change(
        session, entity_type="AssociationMember", entity_id=f"{association_id}:{user_id}", version=member.version,
        data={"associationId": association_id, "userId": user_id, "displayName": user.display_name,
              "office": member.office, "joinedAt": member.joined_at.isoformat()},
        audiences={audience.user(user_id), audience.association_leaders(association_id)},
    )


def join_request_data(request: JoinRequest, display_name: str) -> dict[str, Any]:
    return {"id": request.id, "associationId": request.association_id, "userId": request.user_id,
            "displayName": display_name, "message": request.message, "status": request.status,
            "createdAt": request.created_at.isoformat()}


async def _record_request(session: AsyncSession, request: JoinRequest) -> None:
    user = await accounts.get_user(session, request.user_id)
    feed.record_change(
        session, entity_type="JoinRequest", entity_id=request.id, version=request.version,
        data=join_request_data(request, user.display_name if user else ""),
        audiences={audience.user(request.user_id), audience.association_leaders(request.association_id)},
    )


async def request_to_join(session: AsyncSession, *, user_id: str, association_id: str, message: str) -> JoinRequest:
    await associations.get_association(session, association_id)
    text = unicodedata.normalize("NFC", message or "").strip()
    if len(text) > 500:
        raise ValidationFailed("The message must have at most 500 characters")
    if await associations.is_member(session, association_id=association_id, user_id=user_id):
        raise ValidationFailed("You are already a member of this association")
    pending = (await session.scalars(sa.select(JoinRequest).where(
        JoinRequest.association_id == association_id, JoinRequest.user_id == user_id,
        JoinRequest.status == "PENDING",
    ))).first()
    if pending is not None:
        return pending
    request = JoinRequest(id=new_id(), association_id=association_id, user_id=user_id, message=text,
                          created_at=utcnow())
    session.add(request)
    await session.flush()
    await _record_request(session, request)
    return request


async def decide_join_request(session: AsyncSession, *, actor_id: str, request_id: str, approve: bool) -> JoinRequest:
    request = await session.get(JoinRequest, request_id)
    if request is None:
        raise NotFound("No such join request")
    await access.require_leader(session, actor_id, request.association_id)
    if request.status != "PENDING":
        raise ValidationFailed(f"This request was already {request.status.lower()}")
    request.status = "APPROVED" if approve else "DECLINED"
    request.decided_by, request.decided_at = actor_id, utcnow()
    request.version += 1
    session.add(request)
    if approve:
        await admit(session, association_id=request.association_id, user_id=request.user_id)
    await session.flush()
    await _record_request(session, request)
    return request


async def set_office(session: AsyncSession, *, actor_id: str, association_id: str, user_id: str, office: str) -> AssociationMember:
    """Leaders name officers (役員: 副会長, 会計, 班長…); an empty office makes a plain member."""
    await access.require_leader(session, actor_id, association_id)
    member = await access.membership(session, user_id, association_id)
    if member is None:
        raise NotFound("This person is not a member of the association")
    clean = unicodedata.normalize("NFC", office or "").strip()
    if len(clean) > MAX_OFFICE:
        raise ValidationFailed(f"The office must have at most {MAX_OFFICE} characters")
    if member.office != clean:
        member.office = clean
        member.version += 1
    session.add(member)
    await session.flush()
    await record_member(session, association_id=association_id, user_id=user_id)
    return member


async def leave_association(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    """A member leaves. Their membership goes (with any office), and so do they from the
    association's households, so that its leaders no longer see them there (their name, their
    safety status). The households stay, with every circular receipt they gave: that is the
    association's history. Pulls from then on leave out what only members see; a device's
    next pull starts over (its audiences changed), dropping what it may no longer see."""
    association_id = str(args.association_id)
    await associations.get_association(session, association_id)
    member = await access.membership(session, ctx.user_id, association_id)
    if member is None:
        raise NotFound("You are not a member of this association")
    version = member.version + 1
    await session.delete(member)
    for household in await households.households_of_person(session, ctx.user_id):  # person id = user id
        if household.association_id == association_id and await households.remove_household_member(
            session, household=household, person_id=ctx.user_id
        ):
            await households.record_household(session, household)
    await session.flush()
    entity_id = f"{association_id}:{ctx.user_id}"
    feed.record_change(
        session, entity_type="AssociationMember", entity_id=entity_id, version=version, data=None, op="DELETE",
        audiences={audience.user(ctx.user_id), audience.association_leaders(association_id)},
    )
    return ActionOutcome("AssociationMember", entity_id, version)
