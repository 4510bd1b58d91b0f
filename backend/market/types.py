"""GraphQL types of the marketplace (API.md "Marketplace").

`GeoPointInput` and `PageInfo` are the schema's shared types, defined once by safety.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from backend.safety.types import GeoPointInput, PageInfo

__all__ = ["GeoPointInput", "PageInfo"]


@strawberry.enum
class ListingKind(Enum):
    REQUEST = "REQUEST"
    OFFER = "OFFER"


@strawberry.enum(description="水 / 食料 / 薬 / 日用品 / 充電 / 移動 / 買い物 / 子育て / 高齢者 / ことば / その他")
class ListingCategory(Enum):
    WATER = "WATER"
    FOOD = "FOOD"
    MEDICINE = "MEDICINE"
    DAILY_GOODS = "DAILY_GOODS"
    CHARGING = "CHARGING"
    TRANSPORT = "TRANSPORT"
    SHOPPING_HELP = "SHOPPING_HELP"
    CHILDCARE = "CHILDCARE"
    ELDERLY_SUPPORT = "ELDERLY_SUPPORT"
    LANGUAGE_HELP = "LANGUAGE_HELP"
    OTHER = "OTHER"


@strawberry.enum(description="Who sees a listing: the owner's association, or the whole ward.")
class ListingVisibility(Enum):
    ASSOCIATION = "ASSOCIATION"
    WARD = "WARD"


@strawberry.enum
class ListingStatus(Enum):
    OPEN = "OPEN"
    CLAIMED = "CLAIMED"
    DONE = "DONE"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"


@strawberry.input(description="A request or offer; the location is stored but shown only as a ≥ 250 m cell.")
class CreateListingInput:
    id: strawberry.ID
    kind: ListingKind
    category: ListingCategory
    title: str
    location: GeoPointInput
    body: str = ""
    quantity: int = 1
    expires_at: datetime | None = None
    visibility: ListingVisibility = ListingVisibility.WARD
    association_id: strawberry.ID | None = None
    contact: str | None = strawberry.field(
        default=None, description="Shown only to the people whose claim matched."
    )


@strawberry.input(description="The owner's edit, made on `baseVersion`; omitted fields stay.")
class UpdateListingInput:
    id: strawberry.ID
    base_version: int
    title: str | None = None
    body: str | None = None
    quantity: int | None = None
    expires_at: datetime | None = None
    contact: str | None = None


@strawberry.input
class WithdrawListingInput:
    id: strawberry.ID


@strawberry.input(description="Claim part of a listing; the first commit on the server wins.")
class ClaimListingInput:
    id: strawberry.ID
    listing_id: strawberry.ID
    quantity: int = 1


@strawberry.input
class CancelClaimInput:
    claim_id: strawberry.ID


@strawberry.input(description="Each side confirms; the claim is handed over when both have.")
class ConfirmHandoverInput:
    claim_id: strawberry.ID


@strawberry.input
class ReportListingInput:
    listing_id: strawberry.ID
    reason: str = ""


@strawberry.type(description="A listing as anyone who may see it sees it: its cell, never the address.")
class Listing:
    id: strawberry.ID
    kind: ListingKind
    category: ListingCategory
    title: str
    body: str
    quantity: int
    quantity_left: int
    status: ListingStatus
    visibility: ListingVisibility
    lat: float = strawberry.field(description="The centre of the listing's grid cell.")
    lon: float = strawberry.field(description="The centre of the listing's grid cell.")
    distance_meters: float | None = strawberry.field(
        description="From the search point to the cell, in steps of 100 m."
    )
    same_association: bool
    is_mine: bool
    owner_name: str
    expires_at: datetime
    created_at: datetime
    version: int


@strawberry.type
class ListingEdge:
    node: Listing
    cursor: str


@strawberry.type
class ListingConnection:
    edges: list[ListingEdge]
    page_info: PageInfo


@strawberry.type
class MarketError:
    code: str
    message: str


ListingResult = Annotated[Listing | MarketError, strawberry.union("ListingResult")]
