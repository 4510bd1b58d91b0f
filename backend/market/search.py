"""Near me and suggested matches, from the in-memory index (index.py).

Everything is measured between cell centres (geo.py): the search point against a listing's
cell, never its exact position, so neither the order, nor the radius, nor the distance
shown tells more than the cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.board import associations
from backend.core.errors import ValidationFailed
from backend.market import geo
from backend.market.index import Filters, index_for, is_finite_radius
from backend.market.listings import visible_listing
from backend.market.models import Listing
from backend.market.rules import OFFER, OPEN, REQUEST

DEFAULT_RADIUS_M = 2_000.0
MAX_RADIUS_M = 30_000.0
MATCH_CANDIDATES = 200


@dataclass(frozen=True)
class Found:
    listing: Listing
    distance_m: float
    same_association: bool


@dataclass(frozen=True)
class Page:
    found: list[Found]
    has_next: bool


def check_radius(radius_m: float | None) -> float:
    radius = DEFAULT_RADIUS_M if radius_m is None else radius_m
    if not is_finite_radius(radius) or radius > MAX_RADIUS_M:
        raise ValidationFailed(f"radiusMeters must be above 0 and at most {MAX_RADIUS_M:.0f}")
    return radius


async def _load(session: AsyncSession, ids: list[str]) -> dict[str, Listing]:
    if not ids:
        return {}
    rows = await session.scalars(sa.select(Listing).where(col(Listing.id).in_(ids)))
    return {row.id: row for row in rows}


async def near(
    session: AsyncSession, *, viewer_id: str, lat: float, lon: float, radius_m: float | None,
    kind: str | None, category: str | None, offset: int, limit: int, now: datetime,
) -> Page:
    if not geo.valid_point(lat, lon):
        raise ValidationFailed("near is not a valid position")
    radius = check_radius(radius_m)
    index = index_for(session)
    await index.refresh(session)
    mine = frozenset(await associations.associations_of_user(session, viewer_id))
    ids, metres = index.near(lat, lon, radius, Filters(now.timestamp(), kind, category, mine))
    # One extra row tells whether there is a next page.
    wanted = ids[offset : offset + limit + 1]
    rows = await _load(session, wanted)
    found = [
        Found(rows[i], float(metres[offset + n]), rows[i].association_id in mine)
        for n, i in enumerate(wanted)
        if i in rows and rows[i].status == OPEN and not rows[i].hidden  # the index may be ahead
    ]
    return Page(found[:limit], len(ids) > offset + limit)


async def matches(
    session: AsyncSession, *, viewer_id: str, listing_id: str, radius_m: float | None, limit: int,
    now: datetime,
) -> list[Found]:
    """Offers that meet a request (same category, near, enough left) or requests an offer meets.

    Those that cover the whole quantity come first, then the nearest.
    """
    listing = await visible_listing(session, listing_id, viewer_id)
    radius = check_radius(radius_m)
    index = index_for(session)
    await index.refresh(session)
    mine = frozenset(await associations.associations_of_user(session, viewer_id))
    other = OFFER if listing.kind == REQUEST else REQUEST
    ids, metres = index.near(listing.cell_lat, listing.cell_lon, radius,
                             Filters(now.timestamp(), other, listing.category, mine))
    rows = await _load(session, ids[:MATCH_CANDIDATES])
    found = [
        Found(rows[i], float(metres[n]), rows[i].association_id in mine)
        for n, i in enumerate(ids[:MATCH_CANDIDATES])
        if i in rows and rows[i].status == OPEN and rows[i].owner_id != listing.owner_id
    ]
    found.sort(key=lambda f: (f.listing.quantity_left < listing.quantity_left, f.distance_m, f.listing.id))
    return found[:limit]
