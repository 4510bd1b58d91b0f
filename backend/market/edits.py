"""Owner edits with optimistic concurrency (SYNC.md "posts, listings").

An edit names the version it was made on (`baseVersion`). Edits to different fields merge;
on the same field the later one on the server wins and the value it replaced is kept as a
revision; either way the result is CONFLICT_RESOLVED. A withdrawn or expired listing takes
no edits (delete wins over edit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import Forbidden, ValidationFailed
from backend.core.ids import new_id
from backend.market import publish
from backend.market.listings import active_claims, get_listing, mark_changed
from backend.market.models import Listing, ListingRevision
from backend.market.rules import (
    BODY_MAX,
    CLOSED_STATES,
    CONTACT_MAX,
    TITLE_MAX,
    ListingClosed,
    check_quantity,
    clean_text,
    expiry,
    status_for,
)

EDITABLE = ("title", "body", "quantity", "expires_at", "contact")


@dataclass
class EditOutcome:
    listing: Listing
    merged: bool = False
    overwritten: list[str] = field(default_factory=list)


def _clean(name: str, value: Any, *, listing: Listing, now: datetime) -> Any:
    if name == "title":
        return clean_text(value, name="title", max_length=TITLE_MAX, required=True)
    if name == "body":
        return clean_text(value, name="body", max_length=BODY_MAX)
    if name == "contact":
        return clean_text(value, name="contact", max_length=CONTACT_MAX)
    if name == "expires_at":
        return expiry(value, now=now)
    quantity = check_quantity(value)
    claimed = listing.quantity - listing.quantity_left
    if quantity < claimed:
        raise ValidationFailed(f"{claimed} are already claimed; the quantity cannot go below that")
    return quantity


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def update_listing(
    session: AsyncSession, *, user_id: str, listing_id: str, base_version: int,
    changes: dict[str, Any], now: datetime,
) -> EditOutcome:
    listing = await get_listing(session, listing_id, lock=True)
    if listing.owner_id != user_id:
        raise Forbidden("Only the owner edits a listing")
    if listing.status in CLOSED_STATES:
        raise ListingClosed(f"The listing is {listing.status.lower()}; it takes no more edits")
    if not 1 <= base_version <= listing.version:
        raise ValidationFailed(f"baseVersion must be between 1 and {listing.version}")
    unknown = set(changes) - set(EDITABLE)
    if unknown or not changes:
        raise ValidationFailed("Nothing to change" if not changes else f"Not editable: {sorted(unknown)}")
    outcome = EditOutcome(listing, merged=base_version < listing.version)
    cleaned = {name: _clean(name, value, listing=listing, now=now) for name, value in changes.items()}
    versions = dict(listing.field_versions)
    new_version = listing.version + 1
    status_before, expires_before = listing.status, listing.expires_at
    for name, value in cleaned.items():
        current = getattr(listing, name)
        if versions.get(name, 1) > base_version and current != value:
            session.add(ListingRevision(id=new_id(), listing_id=listing.id, version=listing.version,
                                        field=name, value=_plain(current), replaced_at=now))
            outcome.overwritten.append(name)
        if name == "quantity":
            claimed = listing.quantity - listing.quantity_left
            listing.quantity_left = value - claimed
        setattr(listing, name, value)
        versions[name] = new_version
    listing.field_versions = versions
    claims = await active_claims(session, listing.id)
    listing.status = status_for(listing.quantity_left, len(claims), listing.status)
    indexed = listing.status != status_before or listing.expires_at != expires_before
    await mark_changed(session, listing, now=now, indexed=indexed)
    if {"title", "contact"} & set(cleaned):  # the claims carry both
        for claim in claims:
            claim.version += 1
            claim.updated_at = now
            session.add(claim)
            publish.record_claim(session, claim, listing)
    return outcome
