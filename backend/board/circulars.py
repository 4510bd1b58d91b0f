"""Circulars (回覧板) and their per-household receipts.

A circular counts as read for a household when any member opened it — on any device, however
late the read arrives — or when a leader marked the household informed by hand (a visit, a
phone call, a member without the app). Read receipts and RSVPs are last-writer per household.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import households, posts, street
from backend.board.errors import EntityDeleted, NoHousehold
from backend.board.models import CircularRead, Household, Post
from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.clock import utcnow
from backend.core.errors import Forbidden, ValidationFailed
from backend.core.identity import Identity

RSVP_ANSWERS = ("ATTEND", "ABSENT", "UNDECIDED")
DEFAULT_PAGE = 100  # households on a leader's screen at a time
MAX_PAGE = 500
_HOUSEHOLD: sa.Table = Household.__table__  # type: ignore[attr-defined]
_READ: sa.Table = CircularRead.__table__  # type: ignore[attr-defined]


def read_data(read: CircularRead) -> dict[str, Any]:
    return {
        "id": f"{read.post_id}:{read.household_id}", "postId": read.post_id, "householdId": read.household_id,
        "read": read.read_at is not None, "readAt": read.read_at.isoformat() if read.read_at else None,
        "informed": read.informed_by is not None, "rsvp": read.rsvp,
    }


def record_read(session: AsyncSession, read: CircularRead) -> None:
    """The household sees its own receipt; the leaders see every household's."""
    feed.record_change(
        session, entity_type="CircularRead", entity_id=f"{read.post_id}:{read.household_id}",
        version=read.version, data=read_data(read),
        audiences={audience.household(read.household_id), audience.association_leaders(read.association_id)},
    )


async def _circular(session: AsyncSession, post_id: str) -> Post:
    post = await posts.get_post(session, post_id)  # no row lock: many households read at once
    if post.deleted:
        raise EntityDeleted("This circular was deleted")
    if post.kind != "CIRCULAR":
        raise ValidationFailed("This post is not a circular")
    return post


async def _reader_households(session: AsyncSession, user_id: str, association_id: str) -> list[str]:
    # A user's person record has the user's id.
    found = [h.id for h in await households.households_of_person(session, user_id)
             if h.association_id == association_id]
    if not found:
        raise NoHousehold("Circulars are read by households; join a household of this association first")
    return sorted(found)


async def _receipt(session: AsyncSession, post: Post, household_id: str) -> CircularRead:
    """The household's receipt row, locked. Two members of a household may read at the same
    moment on two phones: the row is inserted with ON CONFLICT DO NOTHING, so the second
    waits for the first and then updates the same row instead of failing."""
    key = (post.id, household_id)
    read = await session.get(CircularRead, key, with_for_update=True)
    if read is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        await session.execute(insert(_READ).values(
            post_id=post.id, household_id=household_id, association_id=post.association_id, version=0,
        ).on_conflict_do_nothing())
        read = await session.get(CircularRead, key, with_for_update=True)
        assert read is not None
    return read


def _touch(session: AsyncSession, read: CircularRead) -> None:
    read.version += 1
    session.add(read)
    record_read(session, read)


def _open(read: CircularRead, *, by: str, at: datetime) -> bool:
    if read.read_at is not None:
        return False
    read.read_at, read.read_by = at, by
    return True


async def mark_read(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    post = await _circular(session, str(args.post_id))
    last: CircularRead | None = None
    for household_id in await _reader_households(session, ctx.user_id, post.association_id):
        read = await _receipt(session, post, household_id)
        if _open(read, by=ctx.user_id, at=ctx.corrected_time):  # when it was opened, not received
            _touch(session, read)
        last = read
    assert last is not None
    await session.flush()
    return ActionOutcome("CircularRead", f"{post.id}:{last.household_id}", last.version)


async def answer_rsvp(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    post = await _circular(session, str(args.post_id))
    if not post.rsvp:
        raise ValidationFailed("This circular does not ask for attendance")
    answer = args.answer.value
    last: CircularRead | None = None
    for household_id in await _reader_households(session, ctx.user_id, post.association_id):
        read = await _receipt(session, post, household_id)
        changed = _open(read, by=ctx.user_id, at=ctx.corrected_time)
        if read.rsvp != answer:
            read.rsvp, read.rsvp_by, changed = answer, ctx.user_id, True
        if changed:
            _touch(session, read)
        last = read
    assert last is not None
    await session.flush()
    return ActionOutcome("CircularRead", f"{post.id}:{last.household_id}", last.version)


async def mark_informed(session: AsyncSession, *, actor: Identity, post_id: str, household_id: str) -> CircularRead:
    post = await _circular(session, post_id)
    if not (actor.is_ward_admin or actor.has_role("LEADER", post.association_id)):
        raise Forbidden("Only leaders of this association mark households informed")
    household = await households.get_household(session, household_id)
    if household.association_id != post.association_id:
        raise ValidationFailed("This household is not in the circular's association")
    read = await _receipt(session, post, household_id)
    changed = _open(read, by=actor.user_id, at=utcnow())
    if read.informed_by is None:
        read.informed_by, changed = actor.user_id, True
    if changed:
        _touch(session, read)
    await session.flush()
    return read


@dataclass(frozen=True)
class HouseholdReceipt:
    household_id: str
    label: str
    address: str
    read: bool
    informed: bool
    rsvp: str | None


@dataclass(frozen=True)
class Receipts:
    post_id: str
    read_count: int
    unread_count: int
    total_count: int  # the households listed over all pages: all, or the unread ones
    rsvp: dict[str, int]
    households: list[HouseholdReceipt]
    has_next_page: bool
    end_cursor: str | None


def _cursor(street_key: str) -> str:
    return base64.urlsafe_b64encode(street_key.encode()).decode()


def _position(after: str) -> str:
    try:
        key = base64.b64decode(after.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeError) as exc:
        raise ValidationFailed("Malformed cursor") from exc
    if street.END not in key:  # every street key has one
        raise ValidationFailed("Malformed cursor")
    return key


def _page_size(first: int | None, after: str | None) -> int | None:
    """None: every household (the list as it was before pages; `first` and `after` left out)."""
    if first is None:
        return None if after is None else DEFAULT_PAGE
    if not 1 <= first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}")
    return first


def _tallies(post: Post) -> list[Any]:
    """Households of the association, households that read the circular, and each RSVP
    answer: uncorrelated scalar subqueries, computed once per statement (index-only counts:
    the association's households; the circular's receipts by (post, rsvp, read_at))."""
    households_total = sa.select(sa.func.count()).where(_HOUSEHOLD.c.association_id == post.association_id)
    of_post = sa.select(sa.func.count()).where(_READ.c.post_id == post.id)
    return [
        households_total.scalar_subquery(),
        # A receipt row is written on the first read, but count only what says so.
        of_post.where(_READ.c.read_at.is_not(None)).scalar_subquery(),
        *(of_post.where(_READ.c.rsvp == answer).scalar_subquery() for answer in RSVP_ANSWERS),
    ]


def _state() -> Any:
    """A receipt's state in one value: "<read 0|1><informed 0|1><rsvp>" (flags computed by the
    database: no timestamp is converted)."""
    flag = {column: sa.case((column.is_(None), "0"), else_="1") for column in (_READ.c.read_at, _READ.c.informed_by)}
    return flag[_READ.c.read_at] + flag[_READ.c.informed_by] + sa.func.coalesce(_READ.c.rsvp, "")


def _probe(post: Post, value: Any) -> Any:
    """A value of one household's receipt, found by primary key for each listed household."""
    return sa.select(value).where(_READ.c.post_id == post.id, _READ.c.household_id == _HOUSEHOLD.c.id).scalar_subquery()


def _listed(post: Post, *, unread_only: bool, after: str | None, limit: int | None) -> sa.Select[Any]:
    """Households in street order (the (association, street key) index) with their receipt's
    state, NULL without a receipt.

    A page probes each household's receipt by primary key (correlated subqueries), whatever
    the planner believes: planned as a join, from statistics that never know a new circular's
    receipts (a few rows expected, thousands there), PostgreSQL compared every household of
    the page's walk with every receipt — 0.2–0.9 s for one page. The whole list, read in full
    anyway, is a join (hashed; 5,000 probes cost ten times as much)."""
    of_association = _HOUSEHOLD.c.association_id == post.association_id
    if limit is None:
        on = sa.and_(_READ.c.post_id == post.id, _READ.c.household_id == _HOUSEHOLD.c.id)
        listed = (sa.select(_HOUSEHOLD.c.id, _HOUSEHOLD.c.label, _HOUSEHOLD.c.address, _state(),
                            _HOUSEHOLD.c.street_key)
                  .select_from(_HOUSEHOLD.outerjoin(_READ, on)).where(of_association))
        if unread_only:
            listed = listed.where(_READ.c.read_at.is_(None))
    else:
        listed = sa.select(_HOUSEHOLD.c.id, _HOUSEHOLD.c.label, _HOUSEHOLD.c.address, _probe(post, _state()),
                           _HOUSEHOLD.c.street_key).where(of_association)
        if unread_only:
            # No receipt, or one not read, as COALESCE(…, true): PostgreSQL guesses half the
            # households match and walks the street index; `(…) IS NULL` it guesses at 0.5 %,
            # and then reads and sorts every household of the association for one page.
            listed = listed.where(sa.func.coalesce(_probe(post, _READ.c.read_at.is_(None)), sa.true()))
    if after is not None:
        listed = listed.where(_HOUSEHOLD.c.street_key > _position(after))
    listed = listed.order_by(_HOUSEHOLD.c.street_key)
    return listed if limit is None else listed.limit(limit + 1)


def _household_receipt(household_id: str, label: str, address: str, state: str | None) -> HouseholdReceipt:
    if state is None:
        return HouseholdReceipt(household_id, label, address, False, False, None)
    return HouseholdReceipt(household_id, label, address, state[0] == "1", state[1] == "1", state[2:] or None)


async def receipts(
    session: AsyncSession, *, actor: Identity, post_id: str, unread_only: bool = False, first: int | None = None,
    after: str | None = None,
) -> Receipts:
    """The counts, tallies and one page of households (all of them when no page is asked) in
    one statement after the circular's own, whatever the association's size; one more only
    when the page is empty and so carries no counts."""
    post = await _circular(session, post_id)
    if not (actor.is_ward_admin or actor.has_role("LEADER", post.association_id)):
        raise Forbidden("Only leaders of this association see who has read a circular")
    limit = _page_size(first, after)
    tallies = _tallies(post)
    rows = (await session.execute(
        _listed(post, unread_only=unread_only, after=after, limit=limit).add_columns(*tallies)
    )).all()
    totals = tuple(rows[0][5:]) if rows else tuple((await session.execute(sa.select(*tallies))).one())
    page = rows if limit is None else rows[:limit]
    found = [_household_receipt(r[0], r[1], r[2], r[3]) for r in page]
    total, read_count = int(totals[0]), int(totals[1])
    tally = {answer: int(count) for answer, count in zip(RSVP_ANSWERS, totals[2:], strict=True)}
    return Receipts(
        post.id, read_count, total - read_count, total - read_count if unread_only else total, tally, found,
        has_next_page=limit is not None and len(rows) > limit, end_cursor=_cursor(page[-1][4]) if page else None,
    )
