"""GraphQL output types of the board domain (inputs and enums are in types.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from backend.board.types import PostKind, RsvpAnswer, Urgency


@strawberry.type(description="An expected failure: VALIDATION, FORBIDDEN, NOT_FOUND, INVITE_INVALID…")
class BoardError:
    code: str
    message: str


@strawberry.type
class AssociationSummary:
    id: strawberry.ID
    name: str
    is_open: bool


@strawberry.type(description="An invitation: share the code, or a QR code of a link holding it.")
class Invite:
    code: str
    association_id: strawberry.ID
    expires_at: datetime


@strawberry.type
class Membership:
    association_id: strawberry.ID
    household_id: strawberry.ID


@strawberry.type(name="JoinRequest")
class JoinRequestNode:
    id: strawberry.ID
    association_id: strawberry.ID
    status: str


@strawberry.type
class Officer:
    association_id: strawberry.ID
    user_id: strawberry.ID
    office: str


@strawberry.type
class Group:
    id: strawberry.ID
    association_id: strawberry.ID
    name: str


@strawberry.type
class ModerationResult:
    target_id: strawberry.ID
    hidden: bool
    reason: str | None
    version: int


@strawberry.type(description="Text fields hold exactly what was typed: show them as text, never as HTML.")
class Post:
    id: strawberry.ID
    association_id: strawberry.ID
    author_id: strawberry.ID
    author_name: str
    kind: PostKind
    title: str
    body: str
    language: str
    urgency: Urgency
    rsvp: bool
    pinned: bool
    hidden: bool
    hidden_reason: str | None
    created_at: datetime
    edited_at: datetime | None
    version: int
    comment_count: int
    photo_ids: list[strawberry.ID]


@strawberry.type(description="A post's photo: a JPEG of at most 1,024 px a side, without EXIF.")
class Photo:
    id: strawberry.ID
    post_id: strawberry.ID
    width: int
    height: int
    content_type: str
    data_base64: str | None


@strawberry.type
class PostEdge:
    node: Post
    cursor: str


@strawberry.type
class BoardPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class PostConnection:
    edges: list[PostEdge]
    page_info: BoardPageInfo


@strawberry.type
class HouseholdReceipt:
    id: strawberry.ID
    label: str
    address: str
    read: bool
    informed: bool
    rsvp: RsvpAnswer | None


@strawberry.type
class RsvpTally:
    attend: int
    absent: int
    undecided: int


@strawberry.type(description="Counts and tallies cover every household; `households` is the page asked for "
                               "(every household, in street order, when neither first nor after is given).")
class CircularReceipts:
    post_id: strawberry.ID
    read_count: int
    unread_count: int
    total_count: int = strawberry.field(description="Households listed over all pages: all, or the unread ones.")
    households: list[HouseholdReceipt]
    page_info: BoardPageInfo
    rsvp: RsvpTally


CreateInviteResult = Annotated[Invite | BoardError, strawberry.union("CreateInviteResult")]
JoinAssociationResult = Annotated[Membership | BoardError, strawberry.union("JoinAssociationResult")]
JoinRequestResult = Annotated[JoinRequestNode | BoardError, strawberry.union("JoinRequestResult")]
CreateAssociationResult = Annotated[AssociationSummary | BoardError, strawberry.union("CreateAssociationResult")]
SetOfficeResult = Annotated[Officer | BoardError, strawberry.union("SetOfficeResult")]
CreateGroupResult = Annotated[Group | BoardError, strawberry.union("CreateGroupResult")]
ModerateResult = Annotated[ModerationResult | BoardError, strawberry.union("ModerateResult")]
AttachPhotoResult = Annotated[Photo | BoardError, strawberry.union("AttachPhotoResult")]
MarkInformedResult = Annotated[HouseholdReceipt | BoardError, strawberry.union("MarkInformedResult")]
