"""Circulars (回覧板) and their per-household receipts.

A circular counts as read for a household when any member opened it — on any device, however
late the read arrives — or when a leader marked the household informed by hand (a visit, a
phone call, a member without the app). Read receipts and RSVPs are last-writer per household.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.board import households, posts
from backend.board.errors import EntityDeleted, NoHousehold
from backend.board.models import CircularRead, Household, Post
from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.clock import utcnow
from backend.core.errors import Forbidden, ValidationFailed
from backend.core.identity import Identity

RSVP_ANSWERS = ("ATTEND", "ABSENT", "UNDECIDED")
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
    rsvp: dict[str, int]
    households: list[HouseholdReceipt]


def _joined(post: Post) -> sa.Join:
    on = sa.and_(_READ.c.household_id == _HOUSEHOLD.c.id, _READ.c.post_id == post.id)
    return _HOUSEHOLD.outerjoin(_READ, on)


async def receipts(session: AsyncSession, *, actor: Identity, post_id: str, unread_only: bool = False) -> Receipts:
    """Counts and tallies in one aggregate query (the receipts of this circular, by primary
    key, and an index-only count of the households), then the households — all, or only the
    unread ones a leader follows up — in address order in another."""
    post = await _circular(session, post_id)
    if not (actor.is_ward_admin or actor.has_role("LEADER", post.association_id)):
        raise Forbidden("Only leaders of this association see who has read a circular")
    of_association = _HOUSEHOLD.c.association_id == post.association_id
    households_total = sa.select(sa.func.count()).where(of_association).scalar_subquery()
    answered = [sa.func.count(sa.case((_READ.c.rsvp == answer, 1))) for answer in RSVP_ANSWERS]
    # Receipts exist only for households that read it (a row is written on the first read).
    totals = (await session.execute(
        sa.select(households_total, sa.func.count(_READ.c.read_at), *answered).where(_READ.c.post_id == post.id)
    )).one()
    # Flags computed by the database: no timestamp is converted for 5,000 rows.
    listed = sa.select(_HOUSEHOLD.c.id, _HOUSEHOLD.c.label, _HOUSEHOLD.c.address, _READ.c.read_at.is_not(None),
                       _READ.c.informed_by.is_not(None), _READ.c.rsvp).select_from(_joined(post)).where(of_association)
    if unread_only:
        listed = listed.where(_READ.c.read_at.is_(None))
    # Sorted here, in street order (door to door): PostgreSQL's locale-aware sort of 5,000
    # Japanese addresses cost more than the rest of the query (measured: 11 of 16 ms).
    rows = sorted(await session.execute(listed),
                  key=lambda r: (households.street_order(r[2]), r[1], r[0]))
    found = [HouseholdReceipt(h, label, address, bool(read), bool(informed), rsvp)
             for h, label, address, read, informed, rsvp in rows]
    total, read_count = int(totals[0]), int(totals[1])
    tally = {answer: int(count) for answer, count in zip(RSVP_ANSWERS, totals[2:], strict=True)}
    return Receipts(post.id, read_count, total - read_count, tally, found)
