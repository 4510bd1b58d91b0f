"""Moderation: any member reports a post or comment; leaders hide or unhide it with a reason,
and the author is told through their own pull (a ModerationNotice, and the item itself with
`hidden` and `hiddenReason`, which stays on their device while members lose it)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import access, comments, photos, posts
from backend.board.errors import EntityDeleted
from backend.board.models import Comment, ContentReport, Post
from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.clock import utcnow
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.identity import Identity
from backend.core.ids import is_uuid, new_id

MAX_REASON = 500


async def _target(session: AsyncSession, target_type: str, target_id: str) -> Post | Comment:
    found: Post | Comment | None = (
        await session.get(Post, target_id) if target_type == "POST" else await session.get(Comment, target_id)
    )
    if found is None:
        raise NotFound("No such post or comment")
    if found.deleted:
        raise EntityDeleted("This was deleted")
    return found


def _reason(value: str | None, *, required: bool) -> str:
    text = unicodedata.normalize("NFC", value or "").strip()
    if len(text) > MAX_REASON or (required and not text):
        raise ValidationFailed(f"Give a reason of 1 to {MAX_REASON} characters")
    return text


async def report_content(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    report_id, target_type, target_id = str(args.id), args.target_type.value, str(args.target_id)
    if not is_uuid(report_id):
        raise ValidationFailed("The report id must be a UUID made by the app")
    reason = _reason(args.reason, required=False)
    target = await _target(session, target_type, target_id)
    await access.require_member(session, ctx.user_id, target.association_id)
    existing = await session.scalar(sa.select(ContentReport.id).where(
        sa.or_(ContentReport.id == report_id,
               sa.and_(ContentReport.target_id == target_id, ContentReport.reporter_id == ctx.user_id))
    ))
    if existing is not None:  # reported once is enough; a second report changes nothing
        return ActionOutcome("Report", existing, 1)
    report = ContentReport(id=report_id, association_id=target.association_id, target_type=target_type,
                           target_id=target_id, reporter_id=ctx.user_id, reason=reason, created_at=utcnow())
    session.add(report)
    await session.flush()
    feed.record_change(
        session, entity_type="Report", entity_id=report.id, version=1,
        data={"id": report.id, "associationId": report.association_id, "targetType": target_type,
              "targetId": target_id, "reporterId": ctx.user_id, "reason": reason,
              "createdAt": report.created_at.isoformat()},
        audiences={audience.user(ctx.user_id), audience.association_leaders(report.association_id)},
    )
    return ActionOutcome("Report", report.id, 1)


@dataclass(frozen=True)
class Moderated:
    target_type: str
    target_id: str
    hidden: bool
    reason: str | None
    version: int


async def set_hidden(
    session: AsyncSession, *, actor: Identity, target_type: str, target_id: str, hidden: bool, reason: str | None
) -> Moderated:
    target = await _target(session, target_type, target_id)
    if not (actor.is_ward_admin or actor.has_role("LEADER", target.association_id)):
        raise Forbidden("Only leaders of this association hide or unhide posts")
    text = _reason(reason, required=hidden)
    if target.hidden != hidden:
        target.hidden = hidden
        target.hidden_reason = text if hidden else None
        target.version += 1
        session.add(target)
        await session.flush()
        if isinstance(target, Post):
            posts.record_post(session, target)
            await comments.follow_post(session, target)
            await photos.follow_post(session, target)
        else:
            comments.record_comment(session, target)
        notice_id = new_id()
        feed.record_change(
            session, entity_type="ModerationNotice", entity_id=notice_id, version=1,
            data={"id": notice_id, "targetType": target_type, "targetId": target_id, "hidden": hidden,
                  "reason": text or None, "at": utcnow().isoformat()},
            audiences={audience.user(target.author_id)},
        )
    return Moderated(target_type, target_id, target.hidden, target.hidden_reason, target.version)
