"""What the change feed carries of listings and claims, and to whom.

A listing is the same for everyone who may see it: its cell, never its exact position,
never the owner's contact details. Those reach only the parties of a claim, on the claim.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import audience, feed
from backend.market.models import Claim, Listing
from backend.market.rules import ACTIVE, ASSOCIATION, HANDED_OVER, WARD


def listing_data(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.id,
        "kind": listing.kind,
        "category": listing.category,
        "title": listing.title,
        "body": listing.body,
        "quantity": listing.quantity,
        "quantityLeft": listing.quantity_left,
        "status": listing.status,
        "visibility": listing.visibility,
        "associationId": listing.association_id,
        "lat": listing.cell_lat,
        "lon": listing.cell_lon,
        "ownerId": listing.owner_id,
        "ownerName": listing.owner_name,
        "hidden": listing.hidden,
        "expiresAt": listing.expires_at.isoformat(),
        "createdAt": listing.created_at.isoformat(),
    }


def moderators(listing: Listing) -> set[str]:
    found = {audience.WARD_ADMINS}
    if listing.association_id:
        found.add(audience.association_leaders(listing.association_id))
    return found


def listing_audiences(listing: Listing) -> set[str]:
    """The owner and moderators always; everyone it is meant for unless it is hidden."""
    found = {audience.user(listing.owner_id)} | moderators(listing)
    if listing.hidden:
        return found
    if listing.visibility == WARD:
        found.add(audience.WARD)
    elif listing.visibility == ASSOCIATION and listing.association_id:
        found.add(audience.association_members(listing.association_id))
    return found


def record_listing(session: AsyncSession, listing: Listing) -> None:
    feed.record_change(
        session, entity_type="Listing", entity_id=listing.id, version=listing.version,
        data=listing_data(listing), audiences=listing_audiences(listing),
    )


def claim_data(claim: Claim, listing: Listing) -> dict[str, Any]:
    matched = claim.status in (ACTIVE, HANDED_OVER)
    return {
        "id": claim.id,
        "listingId": claim.listing_id,
        "listingTitle": listing.title,
        "kind": listing.kind,
        "ownerId": claim.owner_id,
        "ownerName": listing.owner_name,
        "claimerId": claim.claimer_id,
        "claimerName": claim.claimer_name,
        "quantity": claim.quantity,
        "status": claim.status,
        "ownerConfirmed": claim.owner_confirmed,
        "claimerConfirmed": claim.claimer_confirmed,
        # Revealed to the matched party only, and only while the match stands.
        "contact": listing.contact if matched else None,
        "expiresAt": claim.expires_at.isoformat(),
        "createdAt": claim.created_at.isoformat(),
    }


def record_claim(session: AsyncSession, claim: Claim, listing: Listing) -> None:
    feed.record_change(
        session, entity_type="Claim", entity_id=claim.id, version=claim.version,
        data=claim_data(claim, listing),
        audiences={audience.user(claim.claimer_id), audience.user(claim.owner_id)},
    )
