"""Thin GraphQL resolvers of the marketplace; the rules live in the service modules."""

from __future__ import annotations

import base64

import strawberry
from strawberry.types import Info

from backend.core.clock import utcnow
from backend.core.context import Context
from backend.core.errors import DomainError, ValidationFailed
from backend.market import geo, moderation, search
from backend.market.models import Listing as ListingRow
from backend.market.types import (
    GeoPointInput,
    Listing,
    ListingCategory,
    ListingConnection,
    ListingEdge,
    ListingKind,
    ListingResult,
    ListingStatus,
    ListingVisibility,
    MarketError,
    PageInfo,
)

MAX_PAGE = 100


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        return int(base64.urlsafe_b64decode(after.encode()).decode().removeprefix("m:"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("Malformed cursor") from exc


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"m:{offset}".encode()).decode()


def _node(row: ListingRow, *, viewer_id: str, distance_m: float | None, same_association: bool) -> Listing:
    return Listing(
        id=strawberry.ID(row.id), kind=ListingKind(row.kind), category=ListingCategory(row.category),
        title=row.title, body=row.body, quantity=row.quantity, quantity_left=row.quantity_left,
        status=ListingStatus(row.status), visibility=ListingVisibility(row.visibility),
        lat=row.cell_lat, lon=row.cell_lon,
        distance_meters=None if distance_m is None else geo.shown_distance(distance_m),
        same_association=same_association, is_mine=row.owner_id == viewer_id,
        owner_name=row.owner_name, expires_at=row.expires_at, created_at=row.created_at, version=row.version,
    )


def _connection(found: list[search.Found], *, viewer_id: str, start: int, has_next: bool) -> ListingConnection:
    edges = [
        ListingEdge(cursor=_cursor(start + n + 1),
                    node=_node(f.listing, viewer_id=viewer_id, distance_m=f.distance_m,
                               same_association=f.same_association))
        for n, f in enumerate(found)
    ]
    return ListingConnection(
        edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None)
    )


def _first(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}")
    return first


@strawberry.type
class MarketQuery:
    @strawberry.field(description="Requests and offers near a point, nearest first (cells of ≥ 250 m).")
    async def listings(
        self, info: Info[Context, None], near: GeoPointInput, radius_meters: float | None = None,
        kind: ListingKind | None = None, category: ListingCategory | None = None, first: int = 20,
        after: str | None = None,
    ) -> ListingConnection:
        viewer = info.context.require_identity()
        start = _offset(after)
        async with info.context.db.read_session() as session:
            page = await search.near(
                session, viewer_id=viewer.user_id, lat=near.lat, lon=near.lon, radius_m=radius_meters,
                kind=kind.value if kind else None, category=category.value if category else None,
                offset=start, limit=_first(first), now=utcnow(),
            )
        return _connection(page.found, viewer_id=viewer.user_id, start=start, has_next=page.has_next)

    @strawberry.field(name="listingMatches", description="Offers meeting a request, or requests an offer meets.")
    async def listing_matches(
        self, info: Info[Context, None], listing_id: strawberry.ID, radius_meters: float | None = None,
        first: int = 20,
    ) -> ListingConnection:
        viewer = info.context.require_identity()
        async with info.context.db.read_session() as session:
            found = await search.matches(session, viewer_id=viewer.user_id, listing_id=str(listing_id),
                                         radius_m=radius_meters, limit=_first(first), now=utcnow())
        return _connection(found, viewer_id=viewer.user_id, start=0, has_next=False)


async def _set_hidden(info: Info[Context, None], listing_id: strawberry.ID, hidden: bool) -> ListingResult:
    actor = info.context.require_identity()
    try:
        async with info.context.db.unit_of_work() as uow:
            row = await moderation.set_hidden(uow.session, actor=actor, listing_id=str(listing_id),
                                              hidden=hidden, now=utcnow())
            node = _node(row, viewer_id=actor.user_id, distance_m=None, same_association=False)
            await uow.commit()
    except DomainError as exc:
        return MarketError(code=exc.code, message=exc.message)
    return node


@strawberry.type
class MarketMutation:
    @strawberry.mutation(name="hideListing", description="Leaders of the listing's association, ward admins.")
    async def hide_listing(self, info: Info[Context, None], id: strawberry.ID) -> ListingResult:
        return await _set_hidden(info, id, True)

    @strawberry.mutation(name="unhideListing", description="Leaders of the listing's association, ward admins.")
    async def unhide_listing(self, info: Info[Context, None], id: strawberry.ID) -> ListingResult:
        return await _set_hidden(info, id, False)

