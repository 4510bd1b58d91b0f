"""GraphQL inputs and enums of the board domain (API.md "Board"); output types in payloads.py."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.input(description="A household: a resident's own, or one a leader records.")
class CreateHouseholdInput:
    id: strawberry.ID
    association_id: strawberry.ID
    label: str
    address: str = ""
    group_name: str = ""
    join_self: bool = False


@strawberry.input(description="Leaders: add a person to a household of their association.")
class AddHouseholdMemberInput:
    household_id: strawberry.ID
    person_id: strawberry.ID


@strawberry.enum(description="A resident's post, a leader's broadcast, or a circular (回覧板).")
class PostKind(Enum):
    POST = "POST"
    BROADCAST = "BROADCAST"
    CIRCULAR = "CIRCULAR"


@strawberry.enum(description="EMERGENCY broadcasts are pinned and trigger Web Push.")
class Urgency(Enum):
    NORMAL = "NORMAL"
    IMPORTANT = "IMPORTANT"
    EMERGENCY = "EMERGENCY"


@strawberry.enum(description="参加 / 欠席 / 未定")
class RsvpAnswer(Enum):
    ATTEND = "ATTEND"
    ABSENT = "ABSENT"
    UNDECIDED = "UNDECIDED"


@strawberry.enum
class ReportTarget(Enum):
    POST = "POST"
    COMMENT = "COMMENT"


@strawberry.input(description="Text is stored exactly as typed and never rendered as HTML.")
class CreatePostInput:
    id: strawberry.ID
    association_id: strawberry.ID
    kind: PostKind
    title: str
    body: str
    urgency: Urgency = Urgency.NORMAL
    rsvp: bool = False
    language: str = "ja"


@strawberry.input(description="The owner edits; fields left out stay. baseVersion: the version edited.")
class EditPostInput:
    id: strawberry.ID
    base_version: int | None = None
    title: str | None = None
    body: str | None = None
    urgency: Urgency | None = None
    language: str | None = None


@strawberry.input(description="The owner deletes a post; the delete wins over later edits.")
class DeletePostInput:
    id: strawberry.ID


@strawberry.input
class CreateCommentInput:
    id: strawberry.ID
    post_id: strawberry.ID
    body: str


@strawberry.input
class DeleteCommentInput:
    id: strawberry.ID


@strawberry.input(description="A member opened a circular: their household has read it.")
class MarkCircularReadInput:
    post_id: strawberry.ID


@strawberry.input(description="The household's answer to a circular that asks for one.")
class RsvpCircularInput:
    post_id: strawberry.ID
    answer: RsvpAnswer


@strawberry.input(description="Any member reports a post or comment to the leaders.")
class ReportContentInput:
    id: strawberry.ID
    target_type: ReportTarget
    target_id: strawberry.ID
    reason: str = ""


@strawberry.input(description="A member leaves the association: they stop seeing what only members see, and "
                              "leave its households; those households and their circular receipts stay.")
class LeaveAssociationInput:
    association_id: strawberry.ID


@strawberry.input(description="Leaders: put a household in one of the association's groups (班); \"\": none.")
class SetHouseholdGroupInput:
    household_id: strawberry.ID
    group_name: str


@strawberry.input(description="Ward admins: an association's area, GeoJSON (Polygon or MultiPolygon, or a "
                              "Feature or FeatureCollection of one); null or empty: no area.")
class SetAssociationAreaInput:
    association_id: strawberry.ID
    area: str | None = None
