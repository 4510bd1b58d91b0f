"""Trust and safety: residents report a listing; leaders hide listings of their association,
ward admins any listing. A hidden listing vanishes from everyone's pull but its owner's and
its moderators'."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import feed
from backend.core.errors import Forbidden, ValidationFailed
from backend.core.identity import Identity
from backend.market import limits, publish
from backend.market.listings import get_listing, mark_changed, visible_listing
from backend.market.models import Listing, ListingReport
from backend.market.rules import REASON_MAX, clean_text


def may_moderate(actor: Identity, listing: Listing) -> bool:
    if actor.is_ward_admin:
        return True
    return listing.association_id is not None and actor.has_role("LEADER", listing.association_id)


async def report_listing(
    session: AsyncSession, *, user_id: str, listing_id: str, reason: str | None, now: datetime
) -> ListingReport:
    listing = await visible_listing(session, listing_id, user_id, lock=True)
    if listing.owner_id == user_id:
        raise ValidationFailed("You cannot report your own listing")
    text = clean_text(reason, name="reason", max_length=REASON_MAX)
    existing = await session.get(ListingReport, (listing.id, user_id))
    if existing is not None:
        return existing  # one person, one report
    await limits.check_report(session, user_id=user_id, now=now)
    report = ListingReport(listing_id=listing.id, reporter_id=user_id, reason=text, reported_at=now)
    session.add(report)
    listing.report_count += 1
    await mark_changed(session, listing, now=now, indexed=False)
    feed.record_change(
        session, entity_type="ListingReport", entity_id=f"{listing.id}:{user_id}", version=1,
        data={"listingId": listing.id, "listingTitle": listing.title, "reason": text,
              "reportCount": listing.report_count, "reportedAt": now.isoformat()},
        audiences=publish.moderators(listing),
    )
    return report


async def set_hidden(
    session: AsyncSession, *, actor: Identity, listing_id: str, hidden: bool, now: datetime
) -> Listing:
    listing = await get_listing(session, listing_id, lock=True)
    if not may_moderate(actor, listing):
        raise Forbidden("Only leaders of the listing's association and ward admins hide listings")
    if listing.hidden == hidden:
        return listing
    listing.hidden = hidden
    listing.hidden_by = actor.user_id if hidden else None
    await mark_changed(session, listing, now=now, indexed=True)
    return listing
