"""Posts, leader broadcasts and circulars: creating them and putting them on the feed.

Text is stored exactly as typed (after NFC) and travels as JSON; nothing here or anywhere on
the server renders it as HTML, so markup in a post stays literal text on every screen.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import access, associations, limits
from backend.board.errors import EntityDeleted
from backend.board.models import Post, PostRevision
from backend.core import audience, events, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.ids import is_uuid

MAX_TITLE = 200
MAX_BODY = 10_000
KINDS = ("POST", "BROADCAST", "CIRCULAR")
URGENCIES = ("NORMAL", "IMPORTANT", "EMERGENCY")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
# The fields an owner edits; each applied value is kept in post_revision.
EDITABLE = ("title", "body", "urgency", "language")


def clean_title(value: str) -> str:
    text = unicodedata.normalize("NFC", value or "").strip()
    if not 1 <= len(text) <= MAX_TITLE:
        raise ValidationFailed(f"The title must have 1 to {MAX_TITLE} characters")
    return text


def clean_body(value: str) -> str:
    text = unicodedata.normalize("NFC", value or "").strip()
    if not 1 <= len(text) <= MAX_BODY:
        raise ValidationFailed(f"The text must have 1 to {MAX_BODY:,} characters")
    return text


def clean_language(value: str) -> str:
    text = (value or "").strip()
    if len(text) > 20 or not _LANGUAGE.match(text):
        raise ValidationFailed("The language must be a language tag such as ja, en or ja-easy")
    return text


def check_urgency(kind: str, urgency: str) -> None:
    if urgency not in URGENCIES:
        raise ValidationFailed("Unknown urgency")
    if kind == "POST" and urgency != "NORMAL":
        raise ValidationFailed("Only broadcasts and circulars carry an urgency")
    if kind == "CIRCULAR" and urgency == "EMERGENCY":
        raise ValidationFailed("An emergency goes out as a broadcast, not a circular")


def post_data(post: Post) -> dict[str, Any]:
    return {
        "id": post.id, "associationId": post.association_id, "authorId": post.author_id,
        "kind": post.kind, "title": post.title, "body": post.body, "language": post.language,
        "urgency": post.urgency, "rsvp": post.rsvp, "pinned": post.pinned, "hidden": post.hidden,
        "hiddenReason": post.hidden_reason, "createdAt": post.created_at.isoformat(),
        "editedAt": post.edited_at.isoformat() if post.edited_at else None,
    }


def visible_to(association_id: str, author_id: str, hidden: bool) -> set[str]:
    """Members see what is not hidden; a hidden item stays with its author (who is told
    why) and the leaders."""
    leaders = audience.association_leaders(association_id)
    if hidden:
        return {audience.user(author_id), leaders}
    return {audience.association_members(association_id), leaders}


def record_post(session: AsyncSession, post: Post) -> None:
    if post.deleted:
        feed.record_change(session, entity_type="Post", entity_id=post.id, version=post.version, data=None,
                           audiences=visible_to(post.association_id, post.author_id, False), op="DELETE")
        return
    feed.record_change(session, entity_type="Post", entity_id=post.id, version=post.version,
                       data=post_data(post), audiences=visible_to(post.association_id, post.author_id, post.hidden))


async def get_post(session: AsyncSession, post_id: str, *, for_update: bool = False) -> Post:
    post = await session.get(Post, post_id, with_for_update=for_update)
    if post is None:
        raise NotFound("No such post")
    return post


async def live_post(session: AsyncSession, post_id: str) -> Post:
    """A post that was not deleted (a delete wins over anything sent after it)."""
    post = await get_post(session, post_id, for_update=True)
    if post.deleted:
        raise EntityDeleted("This post was deleted")
    return post


def keep_revisions(session: AsyncSession, post: Post, values: dict[str, str], *, kind: str,
                   author_id: str, at: datetime) -> None:
    for name, value in values.items():
        session.add(PostRevision(post_id=post.id, version=post.version, kind=kind, field=name,
                                 value=value, author_id=author_id, edited_at=at))


async def publish_events(session: AsyncSession, post: Post) -> None:
    """What the Web Push domain listens to (it never imports this one)."""
    if post.kind == "BROADCAST":
        await events.emit(session, events.BROADCAST_PUBLISHED, post_id=post.id,
                          association_id=post.association_id, urgency=post.urgency, title=post.title)
    elif post.kind == "CIRCULAR":
        await events.emit(session, events.CIRCULAR_PUBLISHED, post_id=post.id,
                          association_id=post.association_id, title=post.title)


async def create_post(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    post_id, association_id = str(args.id), str(args.association_id)
    kind, urgency = args.kind.value, args.urgency.value
    if not is_uuid(post_id):
        raise ValidationFailed("The post id must be a UUID made by the app")
    title, body, language = clean_title(args.title), clean_body(args.body), clean_language(args.language)
    check_urgency(kind, urgency)
    if args.rsvp and kind != "CIRCULAR":
        raise ValidationFailed("Only a circular asks for attendance")
    await associations.get_association(session, association_id)
    if kind == "POST":
        await access.require_member(session, ctx.user_id, association_id)
        await limits.check_post(session, author_id=ctx.user_id, now=ctx.received_at)
    else:
        await access.require_officer(session, ctx.user_id, association_id)
    existing = await session.get(Post, post_id)
    if existing is not None:
        if existing.deleted:
            raise EntityDeleted("This post was deleted")
        raise ValidationFailed("A post with this id already exists")
    post = Post(
        id=post_id, association_id=association_id, author_id=ctx.user_id, kind=kind, title=title, body=body,
        language=language, urgency=urgency, rsvp=bool(args.rsvp),
        pinned=kind == "BROADCAST" and urgency == "EMERGENCY", created_at=ctx.received_at,
    )
    session.add(post)
    keep_revisions(session, post, {"title": title, "body": body, "urgency": urgency, "language": language},
                   kind="EDIT", author_id=ctx.user_id, at=ctx.corrected_time)
    await session.flush()
    record_post(session, post)
    await publish_events(session, post)
    return ActionOutcome("Post", post.id, post.version)


def require_owner(post: Post, user_id: str) -> None:
    if post.author_id != user_id:
        raise Forbidden("Only the author edits or deletes a post")
