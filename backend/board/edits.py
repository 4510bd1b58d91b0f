"""Owner edits with optimistic concurrency and field merge, and deletes as tombstones."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import comments, photos, posts
from backend.board.merge import plan_edit
from backend.board.models import CircularRead, Post, PostRevision
from backend.core import audience, events, feed
from backend.core.actions import ActionContext, ActionOutcome


def _changes(post: Post, args: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    if args.title is not None:
        found["title"] = posts.clean_title(args.title)
    if args.body is not None:
        found["body"] = posts.clean_body(args.body)
    if args.urgency is not None:
        posts.check_urgency(post.kind, args.urgency.value)
        found["urgency"] = args.urgency.value
    if args.language is not None:
        found["language"] = posts.clean_language(args.language)
    return found


async def _changed_since(session: AsyncSession, post_id: str, base_version: int | None) -> dict[str, datetime]:
    if base_version is None:
        return {}
    rows = await session.execute(
        sa.select(PostRevision.field, sa.func.max(PostRevision.edited_at))
        .where(PostRevision.post_id == post_id, PostRevision.version > base_version, PostRevision.kind == "EDIT")
        .group_by(PostRevision.field)
    )
    return {name: at for name, at in rows}


async def edit_post(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    post = await posts.live_post(session, str(args.id))
    posts.require_owner(post, ctx.user_id)
    changes = _changes(post, args)
    plan = plan_edit(
        changes, base_version=args.base_version, current_version=post.version,
        changed_since=await _changed_since(session, post.id, args.base_version), edited_at=ctx.corrected_time,
    )
    posts.keep_revisions(session, post, plan.lost, kind="LOST", author_id=ctx.user_id, at=ctx.corrected_time)
    applied = {k: v for k, v in plan.apply.items() if getattr(post, k) != v}
    status: Literal["APPLIED", "CONFLICT_RESOLVED"] = "CONFLICT_RESOLVED" if plan.conflicted else "APPLIED"
    if not applied:
        await session.flush()
        return ActionOutcome("Post", post.id, post.version, status, plan.message)
    was_emergency = post.pinned
    for name, value in applied.items():
        setattr(post, name, value)
    post.pinned = post.kind == "BROADCAST" and post.urgency == "EMERGENCY"
    post.version += 1
    post.edited_at = ctx.received_at
    posts.keep_revisions(session, post, applied, kind="EDIT", author_id=ctx.user_id, at=ctx.corrected_time)
    session.add(post)
    await session.flush()
    posts.record_post(session, post)
    if post.pinned and not was_emergency:
        await events.emit(session, events.BROADCAST_PUBLISHED, post_id=post.id,
                          association_id=post.association_id, urgency=post.urgency, title=post.title)
    return ActionOutcome("Post", post.id, post.version, status, plan.message)


async def delete_post(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    """A tombstone: the text goes (with its revisions), the id stays so that late edits from
    offline devices are refused as ENTITY_DELETED and every device drops the post."""
    post = await posts.get_post(session, str(args.id), for_update=True)
    posts.require_owner(post, ctx.user_id)
    if post.deleted:
        return ActionOutcome("Post", post.id, post.version)
    post.deleted, post.title, post.body = True, "", ""
    post.version += 1
    session.add(post)
    await session.execute(sa.delete(PostRevision).where(PostRevision.post_id == post.id))
    await comments.delete_comments_of(session, post)
    await photos.follow_post(session, post)
    reads = await session.execute(
        sa.select(CircularRead.household_id, CircularRead.version).where(CircularRead.post_id == post.id)
    )
    for household_id, version in reads:
        feed.record_change(
            session, entity_type="CircularRead", entity_id=f"{post.id}:{household_id}", version=version + 1,
            data=None, op="DELETE",
            audiences={audience.household(household_id), audience.association_leaders(post.association_id)},
        )
    await session.flush()
    posts.record_post(session, post)
    return ActionOutcome("Post", post.id, post.version)
