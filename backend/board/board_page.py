"""The board of an association, one page at a time: pinned emergency broadcasts first, then
newest first. Two statements per page whatever its size — who may read (the association and
the viewer's membership), then the page with its authors' names, comment counts and photo ids
as subqueries — with a keyset cursor so that new posts never shift a page already read.

Round trips, not rows, were what made a page slower on PostgreSQL than on SQLite (each one
waits for the database process to be scheduled; on a busy machine that is most of the time):
the page used to take four statements after the sign-in check, now two."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.board import access
from backend.board.models import Comment, Post, PostPhoto
from backend.core.clock import as_utc
from backend.core.errors import ValidationFailed
from backend.core.identity import Identity

MAX_PAGE = 100
_POST: sa.Table = Post.__table__  # type: ignore[attr-defined]
_COMMENT: sa.Table = Comment.__table__  # type: ignore[attr-defined]
_PHOTO: sa.Table = PostPhoto.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PostRow:
    id: str
    association_id: str
    author_id: str
    author_name: str
    kind: str
    title: str
    body: str
    language: str
    urgency: str
    rsvp: bool
    pinned: bool
    hidden: bool
    hidden_reason: str | None
    created_at: datetime
    edited_at: datetime | None
    version: int
    comment_count: int
    photo_ids: list[str]
    cursor: str


@dataclass(frozen=True)
class BoardPage:
    posts: list[PostRow]
    has_next_page: bool


def _cursor(pinned: bool, created_at: datetime, post_id: str) -> str:
    raw = json.dumps([int(pinned), as_utc(created_at).isoformat(), post_id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _position(after: str) -> tuple[bool, datetime, str]:
    try:
        pinned, created, post_id = json.loads(base64.urlsafe_b64decode(after.encode()))
        return bool(pinned), as_utc(datetime.fromisoformat(created)), str(post_id)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationFailed("Malformed cursor") from exc


def _photo_ids(keys: str | None) -> list[str]:
    """"position:id,…" in photo order (neither database orders an aggregate the same way)."""
    if not keys:
        return []
    entries = (key.split(":", 1) for key in keys.split(","))
    return [photo_id for _, photo_id in sorted((int(position), photo_id) for position, photo_id in entries)]


def _page_query(association_id: str, *, leader: bool, viewer: str | None, after: str | None, limit: int) -> Any:
    comments = (
        sa.select(sa.func.count()).where(_COMMENT.c.post_id == _POST.c.id, _COMMENT.c.deleted.is_(False),
                                         _COMMENT.c.hidden.is_(False))
        .scalar_subquery().label("comment_count")
    )
    # Photo ids are UUIDs (attach_photo checks): neither ":" nor "," occurs in them.
    photo_keys = (
        sa.select(sa.func.aggregate_strings(sa.cast(_PHOTO.c.position, sa.String) + ":" + _PHOTO.c.id, ","))
        .where(_PHOTO.c.post_id == _POST.c.id).scalar_subquery().label("photo_keys")
    )
    stmt = sa.select(_POST, comments, photo_keys).where(_POST.c.association_id == association_id, _POST.c.deleted.is_(False))
    if not leader:  # members do not see hidden posts; their authors still see their own
        stmt = stmt.where(sa.or_(_POST.c.hidden.is_(False), _POST.c.author_id == viewer))
    if after:
        pinned, created, post_id = _position(after)
        key = sa.tuple_(_POST.c.created_at, _POST.c.id) < sa.tuple_(sa.literal(created, _POST.c.created_at.type),
                                                                     sa.literal(post_id))
        if pinned:  # still among the pinned: the rest of them, then every unpinned post
            stmt = stmt.where(sa.or_(_POST.c.pinned.is_(False), key))
        else:
            stmt = stmt.where(_POST.c.pinned.is_(False), key)
    stmt = stmt.order_by(_POST.c.pinned.desc(), _POST.c.created_at.desc(), _POST.c.id.desc()).limit(limit + 1)
    return people.with_people(stmt, _POST.c.author_id)


async def board_page(
    session: AsyncSession, *, viewer: Identity | None, association_id: str, first: int, after: str | None
) -> BoardPage:
    if not 1 <= first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}")
    leader = await access.require_reader(session, viewer, association_id, what="board")
    rows = (await session.execute(
        _page_query(association_id, leader=leader, viewer=viewer.user_id if viewer else None, after=after,
                    limit=first)
    )).all()
    page = rows[:first]
    found = [
        PostRow(
            r.id, r.association_id, r.author_id, r.pp_display_name or "", r.kind, r.title, r.body, r.language,
            r.urgency, r.rsvp, r.pinned, r.hidden, r.hidden_reason, r.created_at, r.edited_at, r.version,
            r.comment_count, _photo_ids(r.photo_keys), _cursor(r.pinned, r.created_at, r.id),
        )
        for r in page
    ]
    return BoardPage(found, len(rows) > first)
