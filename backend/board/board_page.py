"""The board of an association, one page at a time: pinned emergency broadcasts first, then
newest first. Two queries per page whatever its size (authors' names and comment counts are
joined in; the photos of the page in one more), with a keyset cursor so that new posts never
shift a page already read."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.board import access, associations, photos
from backend.board.models import Comment, Post
from backend.core.clock import as_utc
from backend.core.errors import Forbidden, ValidationFailed
from backend.core.identity import Identity

MAX_PAGE = 100
_POST: sa.Table = Post.__table__  # type: ignore[attr-defined]
_COMMENT: sa.Table = Comment.__table__  # type: ignore[attr-defined]


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


def _page_query(association_id: str, *, leader: bool, viewer: str | None, after: str | None, limit: int) -> Any:
    comments = (
        sa.select(sa.func.count()).where(_COMMENT.c.post_id == _POST.c.id, _COMMENT.c.deleted.is_(False),
                                         _COMMENT.c.hidden.is_(False))
        .scalar_subquery().label("comment_count")
    )
    stmt = sa.select(_POST, comments).where(_POST.c.association_id == association_id, _POST.c.deleted.is_(False))
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
    association = await associations.get_association(session, association_id)
    user_id = viewer.user_id if viewer else None
    leader = viewer is not None and (viewer.is_ward_admin or viewer.has_role("LEADER", association_id))
    member = user_id is not None and await access.membership(session, user_id, association_id) is not None
    if not (leader or member or association.is_open):
        raise Forbidden("Only members of this association see its board")
    rows = (await session.execute(
        _page_query(association_id, leader=leader, viewer=user_id, after=after, limit=first)
    )).all()
    page = rows[:first]
    pictures = await photos.photos_of(session, [r.id for r in page])  # one query for the page
    found = [
        PostRow(
            r.id, r.association_id, r.author_id, r.pp_display_name or "", r.kind, r.title, r.body, r.language,
            r.urgency, r.rsvp, r.pinned, r.hidden, r.hidden_reason, r.created_at, r.edited_at, r.version,
            r.comment_count, [p.id for p in pictures[r.id]], _cursor(r.pinned, r.created_at, r.id),
        )
        for r in page
    ]
    return BoardPage(found, len(rows) > first)
