"""Comments on posts: members comment, the author deletes; hidden like posts by leaders."""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import access, limits
from backend.board.errors import EntityDeleted
from backend.board.models import Comment, Post
from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.ids import is_uuid

MAX_COMMENT = 2_000


def comment_data(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id, "postId": comment.post_id, "associationId": comment.association_id,
        "authorId": comment.author_id, "body": comment.body, "hidden": comment.hidden,
        "hiddenReason": comment.hidden_reason, "createdAt": comment.created_at.isoformat(),
    }


def _audiences(comment: Comment, *, hidden: bool) -> set[str]:
    leaders = audience.association_leaders(comment.association_id)
    if hidden:
        return {audience.user(comment.author_id), leaders}
    return {audience.association_members(comment.association_id), leaders}


def record_comment(session: AsyncSession, comment: Comment, *, post_hidden: bool = False) -> None:
    """A comment under a hidden post is hidden from members with it."""
    if comment.deleted:
        feed.record_change(session, entity_type="Comment", entity_id=comment.id, version=comment.version,
                           data=None, audiences=_audiences(comment, hidden=False), op="DELETE")
        return
    feed.record_change(session, entity_type="Comment", entity_id=comment.id, version=comment.version,
                       data=comment_data(comment), audiences=_audiences(comment, hidden=comment.hidden or post_hidden))


async def follow_post(session: AsyncSession, post: Post) -> None:
    """The post was hidden or shown again: its comments leave or return with it."""
    for comment in await session.scalars(
        sa.select(Comment).where(Comment.post_id == post.id, Comment.deleted.is_(False))  # type: ignore[attr-defined]
    ):
        comment.version += 1
        session.add(comment)
        record_comment(session, comment, post_hidden=post.hidden)


async def create_comment(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    comment_id = str(args.id)
    if not is_uuid(comment_id):
        raise ValidationFailed("The comment id must be a UUID made by the app")
    body = unicodedata.normalize("NFC", args.body or "").strip()
    if not 1 <= len(body) <= MAX_COMMENT:
        raise ValidationFailed(f"A comment must have 1 to {MAX_COMMENT:,} characters")
    post = await session.get(Post, str(args.post_id))
    if post is None:
        raise NotFound("No such post")
    if post.deleted:
        raise EntityDeleted("This post was deleted")
    await access.require_member(session, ctx.user_id, post.association_id)
    if post.hidden:
        raise Forbidden("This post was hidden by the leaders")
    if await session.get(Comment, comment_id) is not None:
        raise ValidationFailed("A comment with this id already exists")
    await limits.check_comment(session, author_id=ctx.user_id, now=ctx.received_at)
    comment = Comment(id=comment_id, post_id=post.id, association_id=post.association_id,
                      author_id=ctx.user_id, body=body, created_at=ctx.received_at)
    session.add(comment)
    await session.flush()
    record_comment(session, comment)
    return ActionOutcome("Comment", comment.id, comment.version)


async def delete_comment(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    comment = await session.get(Comment, str(args.id))
    if comment is None:
        raise NotFound("No such comment")
    if comment.author_id != ctx.user_id:
        raise Forbidden("Only the author deletes a comment")
    if not comment.deleted:
        comment.deleted, comment.body = True, ""
        comment.version += 1
        session.add(comment)
        await session.flush()
        record_comment(session, comment)
    return ActionOutcome("Comment", comment.id, comment.version)


async def delete_comments_of(session: AsyncSession, post: Post) -> None:
    """The post went: so do its comments, on every device."""
    for comment in await session.scalars(
        sa.select(Comment).where(Comment.post_id == post.id, Comment.deleted.is_(False))  # type: ignore[attr-defined]
    ):
        comment.deleted, comment.body = True, ""
        comment.version += 1
        session.add(comment)
        record_comment(session, comment)
