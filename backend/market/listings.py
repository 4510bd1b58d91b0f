"""Listings: create, withdraw, expire, and who may see one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.accounts import service as accounts
from backend.board import associations
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.ids import is_uuid
from backend.market import geo, limits, publish
from backend.market.index import next_index_seq
from backend.market.models import Claim, Listing
from backend.market.rules import (
    ACTIVE,
    ASSOCIATION,
    BODY_MAX,
    CANCELLED,
    CATEGORIES,
    CLAIMED,
    CONTACT_MAX,
    EXPIRED,
    KINDS,
    OPEN,
    TITLE_MAX,
    WARD,
    WITHDRAWN,
    check_quantity,
    clean_text,
    expiry,
)


@dataclass(frozen=True)
class NewListing:
    id: str
    kind: str
    category: str
    title: str
    lat: float
    lon: float
    body: str = ""
    quantity: int = 1
    expires_at: datetime | None = None
    visibility: str = WARD
    association_id: str | None = None
    contact: str = ""


async def _association_for(session: AsyncSession, *, user_id: str, new: NewListing) -> str | None:
    if new.association_id is not None:
        if not await associations.is_member(session, association_id=new.association_id, user_id=user_id):
            raise Forbidden("Only members list in an association")
        return new.association_id
    mine = sorted(await associations.associations_of_user(session, user_id))
    if new.visibility == ASSOCIATION and len(mine) != 1:
        raise ValidationFailed("Name the association (associationId) to list in" if mine
                               else "Join an association to list in it")
    return mine[0] if mine else None


async def create_listing(session: AsyncSession, *, user_id: str, new: NewListing, now: datetime) -> Listing:
    if not is_uuid(new.id):
        raise ValidationFailed("The listing id must be a UUID made by the app")
    existing = await session.get(Listing, new.id)
    if existing is not None:
        if existing.owner_id != user_id:
            raise ValidationFailed("This listing id is taken")
        return existing  # the same listing sent again from another device
    if new.kind not in KINDS or new.category not in CATEGORIES or new.visibility not in (WARD, ASSOCIATION):
        raise ValidationFailed("Unknown kind, category or visibility")
    if not geo.valid_point(new.lat, new.lon):
        raise ValidationFailed("The location is not a valid position")
    title = clean_text(new.title, name="title", max_length=TITLE_MAX, required=True)
    body = clean_text(new.body, name="body", max_length=BODY_MAX)
    contact = clean_text(new.contact, name="contact", max_length=CONTACT_MAX)
    quantity = check_quantity(new.quantity)
    expires_at = expiry(new.expires_at, now=now)
    association_id = await _association_for(session, user_id=user_id, new=new)
    await limits.check_listing(session, user_id=user_id, now=now)
    await expire_due(session, now=now, limit=20)  # before the index counter: one lock order
    owner = await accounts.get_user(session, user_id)
    cell_lat, cell_lon = geo.snap(new.lat, new.lon)
    listing = Listing(
        id=new.id, owner_id=user_id, owner_name=owner.display_name if owner else "",
        kind=new.kind, category=new.category, title=title, body=body, quantity=quantity,
        quantity_left=quantity, visibility=new.visibility, association_id=association_id,
        exact_lat=new.lat, exact_lon=new.lon, cell_lat=cell_lat, cell_lon=cell_lon, contact=contact,
        status=OPEN, expires_at=expires_at, created_at=now, updated_at=now,
        index_seq=await next_index_seq(session), version=1,
    )
    session.add(listing)
    await session.flush()
    publish.record_listing(session, listing)
    return listing


async def get_listing(session: AsyncSession, listing_id: str, *, lock: bool = False) -> Listing:
    listing = None
    if is_uuid(listing_id):
        stmt = sa.select(Listing).where(col(Listing.id) == listing_id)
        if lock:  # claims: the first commit wins, later ones read what it left
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        listing = (await session.scalars(stmt)).first()
    if listing is None:
        raise NotFound("No such listing")
    return listing


async def can_see(session: AsyncSession, listing: Listing, user_id: str) -> bool:
    if listing.owner_id == user_id:
        return True
    if listing.hidden:
        return False
    if listing.visibility == WARD:
        return True
    return listing.association_id is not None and await associations.is_member(
        session, association_id=listing.association_id, user_id=user_id
    )


async def visible_listing(session: AsyncSession, listing_id: str, user_id: str, *, lock: bool = False) -> Listing:
    listing = await get_listing(session, listing_id, lock=lock)
    if not await can_see(session, listing, user_id):
        raise NotFound("No such listing")
    return listing


async def mark_changed(session: AsyncSession, listing: Listing, *, now: datetime, indexed: bool) -> None:
    """Bump the version, put the listing on the feed (and the index, when it shows there)."""
    listing.version += 1
    listing.updated_at = now
    if indexed:
        listing.index_seq = await next_index_seq(session)
    session.add(listing)
    await session.flush()
    publish.record_listing(session, listing)


async def active_claims(session: AsyncSession, listing_id: str) -> list[Claim]:
    stmt = sa.select(Claim).where(col(Claim.listing_id) == listing_id, col(Claim.status) == ACTIVE).order_by(col(Claim.id))
    return list(await session.scalars(stmt))


async def withdraw_listing(session: AsyncSession, *, user_id: str, listing_id: str, now: datetime) -> Listing:
    listing = await get_listing(session, listing_id, lock=True)
    if listing.owner_id != user_id:
        raise Forbidden("Only the owner withdraws a listing")
    if listing.status == WITHDRAWN:
        return listing
    for claim in await active_claims(session, listing.id):
        claim.status, claim.updated_at, claim.version = CANCELLED, now, claim.version + 1
        session.add(claim)
        publish.record_claim(session, claim, listing)
    listing.status = WITHDRAWN
    await mark_changed(session, listing, now=now, indexed=True)
    return listing


async def expire_due(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Listings past their expiry stop taking claims; matched claims past their grace end."""
    stmt = (
        sa.select(Listing)
        .where(col(Listing.status).in_((OPEN, CLAIMED)), col(Listing.expires_at) <= now)
        .order_by(col(Listing.expires_at)).limit(limit)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)
    )
    due = list(await session.scalars(stmt))
    for listing in due:
        listing.status = EXPIRED
        await mark_changed(session, listing, now=now, indexed=True)
    claims = list(await session.scalars(
        sa.select(Claim).where(col(Claim.status) == ACTIVE, col(Claim.expires_at) <= now)
        .limit(limit).with_for_update(skip_locked=True)
    ))
    for claim in claims:
        listing = await get_listing(session, claim.listing_id)
        claim.status, claim.updated_at, claim.version = EXPIRED, now, claim.version + 1
        session.add(claim)
        publish.record_claim(session, claim, listing)
    return len(due) + len(claims)
