"""Claims: the first commit on the server wins, never the client's clock.

The listing row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite serializes writers)
before its quantity is read, so concurrent claims queue on it and each one sees what the
ones before it left. A multi-unit offer splits until nothing is left; a claim that asks for
more than is left loses with ITEM_ALREADY_CLAIMED and the quantity left. A person holding a
matched claim on the listing who claims again (a replay, a second device) gets the claim
they already hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.accounts import service as accounts
from backend.core import events
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.ids import is_uuid
from backend.market import limits, publish
from backend.market.listings import active_claims, get_listing, mark_changed, visible_listing
from backend.market.models import Claim, Listing
from backend.market.rules import (
    ACTIVE,
    CANCELLED,
    CLAIM_GRACE,
    CLAIMED,
    DONE,
    EXPIRED,
    HANDED_OVER,
    OPEN,
    WITHDRAWN,
    ItemAlreadyClaimed,
    ListingClosed,
    ListingExpired,
    check_quantity,
    left_message,
    status_for,
)


@dataclass(frozen=True)
class ClaimOutcome:
    claim: Claim
    already_yours: bool = False


async def _held(session: AsyncSession, *, listing_id: str, user_id: str) -> Claim | None:
    stmt = sa.select(Claim).where(
        col(Claim.listing_id) == listing_id, col(Claim.claimer_id) == user_id, col(Claim.status) == ACTIVE
    ).order_by(col(Claim.created_at), col(Claim.id))
    return (await session.scalars(stmt)).first()


async def claim_listing(
    session: AsyncSession, *, user_id: str, claim_id: str, listing_id: str, quantity: int | None,
    now: datetime,
) -> ClaimOutcome:
    if not is_uuid(claim_id):
        raise ValidationFailed("The claim id must be a UUID made by the app")
    wanted = check_quantity(quantity)
    listing = await visible_listing(session, listing_id, user_id, lock=True)
    existing = await session.get(Claim, claim_id)
    if existing is not None:
        if existing.claimer_id != user_id or existing.listing_id != listing.id:
            raise ValidationFailed("This claim id is taken")
        return ClaimOutcome(existing, already_yours=True)
    if listing.owner_id == user_id:
        raise Forbidden("This is your own listing")
    held = await _held(session, listing_id=listing.id, user_id=user_id)
    if held is not None:
        return ClaimOutcome(held, already_yours=True)
    if listing.status == WITHDRAWN:
        raise ListingClosed("The owner withdrew this listing")
    if listing.status == EXPIRED or listing.expires_at <= now:
        raise ListingExpired("This listing has expired")
    if listing.status == DONE or listing.quantity_left < wanted:
        raise ItemAlreadyClaimed(left_message(listing.quantity_left, listing.quantity))
    await limits.check_claim(session, user_id=user_id, now=now)
    claimer = await accounts.get_user(session, user_id)
    claim = Claim(
        id=claim_id, listing_id=listing.id, claimer_id=user_id,
        claimer_name=claimer.display_name if claimer else "", owner_id=listing.owner_id,
        quantity=wanted, status=ACTIVE, expires_at=listing.expires_at + CLAIM_GRACE,
        created_at=now, updated_at=now, version=1,
    )
    session.add(claim)
    listing.quantity_left -= wanted
    before = listing.status
    listing.status = status_for(listing.quantity_left, 1, listing.status)
    await mark_changed(session, listing, now=now, indexed=listing.status != before)
    publish.record_claim(session, claim, listing)
    await events.emit(
        session, events.LISTING_CLAIMED, listing_id=listing.id, owner_user_id=listing.owner_id,
        claimer_user_id=user_id, quantity=wanted, claim_id=claim.id,
    )
    return ClaimOutcome(claim)


async def _claim_of_party(session: AsyncSession, claim_id: str, user_id: str) -> tuple[Claim, Listing]:
    claim = await session.get(Claim, claim_id) if is_uuid(claim_id) else None
    if claim is None or user_id not in (claim.claimer_id, claim.owner_id):
        raise NotFound("No such claim")
    listing = await get_listing(session, claim.listing_id, lock=True)
    await session.refresh(claim)  # read again under the listing's lock
    return claim, listing


async def cancel_claim(session: AsyncSession, *, user_id: str, claim_id: str, now: datetime) -> Claim:
    """Either party calls a match off; what was claimed is offered again."""
    claim, listing = await _claim_of_party(session, claim_id, user_id)
    if claim.status == CANCELLED:
        return claim
    if claim.status != ACTIVE:
        raise ListingClosed(f"The claim is already {claim.status.lower()}")
    claim.status, claim.updated_at, claim.version = CANCELLED, now, claim.version + 1
    session.add(claim)
    await session.flush()
    before = listing.status
    if listing.status in (OPEN, CLAIMED):
        listing.quantity_left += claim.quantity
        remaining = len(await active_claims(session, listing.id))
        listing.status = status_for(listing.quantity_left, remaining, listing.status)
    await mark_changed(session, listing, now=now, indexed=listing.status != before)
    publish.record_claim(session, claim, listing)
    return claim


async def confirm_handover(session: AsyncSession, *, user_id: str, claim_id: str, now: datetime) -> Claim:
    """Each side confirms the hand-over; it is done when both have."""
    claim, listing = await _claim_of_party(session, claim_id, user_id)
    if claim.status == HANDED_OVER:
        return claim
    if claim.status != ACTIVE:
        raise ListingClosed(f"The claim is {claim.status.lower()}")
    if user_id == claim.owner_id:
        claim.owner_confirmed = True
    else:
        claim.claimer_confirmed = True
    if claim.owner_confirmed and claim.claimer_confirmed:
        claim.status = HANDED_OVER
    claim.updated_at, claim.version = now, claim.version + 1
    session.add(claim)
    await session.flush()
    if claim.status == HANDED_OVER and listing.status == CLAIMED:
        remaining = len(await active_claims(session, listing.id))
        if remaining == 0:
            listing.status = DONE
            await mark_changed(session, listing, now=now, indexed=False)
    publish.record_claim(session, claim, listing)
    return claim
