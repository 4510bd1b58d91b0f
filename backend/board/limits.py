"""Posting rate limits, counted in the database.

Counted from the rows themselves rather than kept in memory: a push handler may run twice
(a rolled-back optimistic batch), every app worker sees the same counts, and a replayed
action never counts again. OTAGAI_RATE_LIMITS=off (tests, drills) turns them off.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board.errors import RateLimited
from backend.board.models import Comment, Post
from backend.core.settings import load_settings

POSTS_PER_HOUR = 10
COMMENTS_PER_10_MINUTES = 30


def enabled() -> bool:
    return load_settings().rate_limits


async def check_post(session: AsyncSession, *, author_id: str, now: datetime) -> None:
    """Residents' posts; leaders' broadcasts and circulars are never held back."""
    if not enabled():
        return
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(Post).where(
            Post.author_id == author_id, Post.kind == "POST", Post.created_at > now - timedelta(hours=1)
        )
    )
    if (count or 0) >= POSTS_PER_HOUR:
        raise RateLimited(f"At most {POSTS_PER_HOUR} posts an hour; please wait a little")


async def check_comment(session: AsyncSession, *, author_id: str, now: datetime) -> None:
    if not enabled():
        return
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(Comment).where(
            Comment.author_id == author_id, Comment.created_at > now - timedelta(minutes=10)
        )
    )
    if (count or 0) >= COMMENTS_PER_10_MINUTES:
        raise RateLimited(f"At most {COMMENTS_PER_10_MINUTES} comments in 10 minutes; please wait a little")
