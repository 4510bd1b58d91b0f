"""Thin GraphQL resolvers for the board; the rules live in the service modules."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from backend.board import (
    areas,
    associations,
    board_page,
    circulars,
    households,
    membership,
    moderation,
    photos,
)
from backend.board.models import PostPhoto
from backend.board.payloads import (
    AssociationSummary,
    AttachPhotoResult,
    BoardError,
    BoardPageInfo,
    CircularReceipts,
    CreateAssociationResult,
    CreateGroupResult,
    CreateInviteResult,
    Group,
    HouseholdReceipt,
    Invite,
    JoinAssociationResult,
    JoinRequestNode,
    JoinRequestResult,
    MarkInformedResult,
    Membership,
    ModerateResult,
    ModerationResult,
    Officer,
    Photo,
    Post,
    PostConnection,
    PostEdge,
    RsvpTally,
    SetOfficeResult,
)
from backend.board.types import PostKind, ReportTarget, RsvpAnswer, Urgency
from backend.core.context import Context
from backend.core.errors import DomainError, Forbidden

T = TypeVar("T")


async def _write(info: Info[Context, None], work: Callable[[AsyncSession], Awaitable[T]]) -> T | BoardError:
    """One unit of work; an expected failure becomes a `BoardError` with its stable code."""
    try:
        async with info.context.db.unit_of_work() as uow:
            result = await work(uow.session)
            await uow.commit()
    except DomainError as exc:
        return BoardError(code=exc.code, message=exc.message)
    return result


def _receipt(r: circulars.HouseholdReceipt) -> HouseholdReceipt:
    return HouseholdReceipt(id=strawberry.ID(r.household_id), label=r.label, address=r.address, read=r.read,
                            informed=r.informed, rsvp=RsvpAnswer(r.rsvp) if r.rsvp else None)


def _post(r: board_page.PostRow) -> Post:
    return Post(
        id=strawberry.ID(r.id), association_id=strawberry.ID(r.association_id),
        author_id=strawberry.ID(r.author_id), author_name=r.author_name, kind=PostKind(r.kind), title=r.title,
        body=r.body, language=r.language, urgency=Urgency(r.urgency), rsvp=r.rsvp, pinned=r.pinned,
        hidden=r.hidden, hidden_reason=r.hidden_reason, created_at=r.created_at, edited_at=r.edited_at,
        version=r.version, comment_count=r.comment_count, photo_ids=[strawberry.ID(p) for p in r.photo_ids],
    )


def _photo(row: PostPhoto, *, with_data: bool) -> Photo:
    return Photo(id=strawberry.ID(row.id), post_id=strawberry.ID(row.post_id), width=row.width, height=row.height,
                 content_type="image/jpeg",
                 data_base64=base64.b64encode(row.data).decode() if with_data else None)


@strawberry.type
class BoardQuery:
    @strawberry.field(description="An association's posts, pinned emergencies first; members only.")
    async def board(
        self, info: Info[Context, None], association_id: strawberry.ID, first: int | None = 20,
        after: str | None = None,
    ) -> PostConnection:
        async with info.context.db.read_session() as session:
            page = await board_page.board_page(session, viewer=info.context.identity, association_id=str(association_id),
                                               first=20 if first is None else first, after=after)
        edges = [PostEdge(node=_post(p), cursor=p.cursor) for p in page.posts]
        return PostConnection(edges=edges, page_info=BoardPageInfo(
            has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(name="circularReceipts", description=(
        "Which households read a circular, in street order; leaders only. A page of `first` households "
        f"(1–{circulars.MAX_PAGE}; {circulars.DEFAULT_PAGE} when only `after` is given) after the cursor "
        "`after`; every household when neither is given."))
    async def circular_receipts(
        self, info: Info[Context, None], post_id: strawberry.ID, unread_only: bool | None = False,
        first: int | None = None, after: str | None = None,
    ) -> CircularReceipts:
        actor = info.context.require_identity()
        async with info.context.db.read_session() as session:
            found = await circulars.receipts(session, actor=actor, post_id=str(post_id), unread_only=bool(unread_only),
                                             first=first, after=after)
        return CircularReceipts(
            post_id=post_id, read_count=found.read_count, unread_count=found.unread_count,
            total_count=found.total_count, households=[_receipt(h) for h in found.households],
            page_info=BoardPageInfo(has_next_page=found.has_next_page, end_cursor=found.end_cursor),
            rsvp=RsvpTally(attend=found.rsvp["ATTEND"], absent=found.rsvp["ABSENT"],
                           undecided=found.rsvp["UNDECIDED"]),
        )

    @strawberry.field(name="postPhoto", description="A photo, for whoever may see its post.")
    async def post_photo(self, info: Info[Context, None], id: strawberry.ID) -> Photo:
        async with info.context.db.read_session() as session:
            row = await photos.viewable_photo(session, viewer=info.context.identity, photo_id=str(id))
        return _photo(row, with_data=True)

    @strawberry.field(name="associationAt", description="The association whose area holds a point.")
    async def association_at(self, info: Info[Context, None], lat: float, lon: float) -> AssociationSummary | None:
        async with info.context.db.read_session() as session:
            found = await areas.association_at(session, lat=lat, lon=lon)
            if found is None:
                return None
            association = await associations.get_association(session, found.association_id)
        return AssociationSummary(id=strawberry.ID(association.id), name=association.name,
                                  is_open=association.is_open)


@strawberry.type
class BoardMutation:
    @strawberry.mutation(name="createAssociation", description="Ward admins: area is GeoJSON text.")
    async def create_association(
        self, info: Info[Context, None], name: str, area: str | None = None, is_open: bool | None = False
    ) -> CreateAssociationResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> AssociationSummary:
            if not actor.is_ward_admin:
                raise Forbidden("Only ward administrators create associations")
            row = await associations.create_association(session, name=name, area_geojson=area,
                                                        is_open=bool(is_open))
            return AssociationSummary(id=strawberry.ID(row.id), name=row.name, is_open=row.is_open)

        return await _write(info, work)

    @strawberry.mutation(name="createInvite", description="Leaders: a code to share or show as a QR code.")
    async def create_invite(self, info: Info[Context, None], association_id: strawberry.ID) -> CreateInviteResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> Invite:
            row = await membership.create_invite(session, actor_id=actor.user_id, association_id=str(association_id))
            return Invite(code=row.code, association_id=association_id, expires_at=row.expires_at)

        return await _write(info, work)

    @strawberry.mutation(name="joinAssociation", description="Join with an invite code.")
    async def join_association(self, info: Info[Context, None], code: str) -> JoinAssociationResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> Membership:
            joined = await membership.join_with_code(session, user_id=actor.user_id, code=code)
            return Membership(association_id=strawberry.ID(joined.association_id),
                              household_id=strawberry.ID(joined.household_id))

        return await _write(info, work)

    @strawberry.mutation(name="requestToJoin", description="Ask the leaders to let one join.")
    async def request_to_join(
        self, info: Info[Context, None], association_id: strawberry.ID, message: str | None = ""
    ) -> JoinRequestResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> JoinRequestNode:
            row = await membership.request_to_join(session, user_id=actor.user_id,
                                                   association_id=str(association_id), message=message or "")
            return JoinRequestNode(id=strawberry.ID(row.id), association_id=association_id, status=row.status)

        return await _write(info, work)

    @strawberry.mutation(name="decideJoinRequest", description="Leaders approve or decline a join request.")
    async def decide_join_request(
        self, info: Info[Context, None], request_id: strawberry.ID, approve: bool
    ) -> JoinRequestResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> JoinRequestNode:
            row = await membership.decide_join_request(session, actor_id=actor.user_id,
                                                       request_id=str(request_id), approve=approve)
            return JoinRequestNode(id=strawberry.ID(row.id), association_id=strawberry.ID(row.association_id),
                                   status=row.status)

        return await _write(info, work)

    @strawberry.mutation(name="setOffice", description="Leaders name an officer (empty office: none).")
    async def set_office(
        self, info: Info[Context, None], association_id: strawberry.ID, user_id: strawberry.ID, office: str
    ) -> SetOfficeResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> Officer:
            row = await membership.set_office(session, actor_id=actor.user_id, association_id=str(association_id),
                                              user_id=str(user_id), office=office)
            return Officer(association_id=association_id, user_id=user_id, office=row.office)

        return await _write(info, work)

    @strawberry.mutation(name="createGroup", description="Leaders add a group (班) to their association.")
    async def create_group(self, info: Info[Context, None], association_id: strawberry.ID, name: str) -> CreateGroupResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> Group:
            if not (actor.is_ward_admin or actor.has_role("LEADER", str(association_id))):
                raise Forbidden("Only leaders of this association add groups")
            row = await associations.create_group(session, association_id=str(association_id), name=name)
            return Group(id=strawberry.ID(row.id), association_id=association_id, name=row.name)

        return await _write(info, work)

    @strawberry.mutation(description="Leaders hide (with a reason) or unhide a post or comment.")
    async def moderate(
        self, info: Info[Context, None], target_type: ReportTarget, target_id: strawberry.ID, hidden: bool,
        reason: str | None = None,
    ) -> ModerateResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> ModerationResult:
            done = await moderation.set_hidden(session, actor=actor, target_type=target_type.value,
                                               target_id=str(target_id), hidden=hidden, reason=reason)
            return ModerationResult(target_id=target_id, hidden=done.hidden, reason=done.reason, version=done.version)

        return await _write(info, work)

    @strawberry.mutation(name="attachPhoto", description="The author adds a photo (base64; resized here).")
    async def attach_photo(
        self, info: Info[Context, None], post_id: strawberry.ID, photo_id: strawberry.ID, data: str
    ) -> AttachPhotoResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> Photo:
            row = await photos.attach_photo(session, actor_id=actor.user_id, post_id=str(post_id),
                                            photo_id=str(photo_id), data=data)
            return _photo(row, with_data=False)

        return await _write(info, work)

    @strawberry.mutation(name="markHouseholdInformed", description="Leaders: told in person or by phone.")
    async def mark_household_informed(
        self, info: Info[Context, None], post_id: strawberry.ID, household_id: strawberry.ID
    ) -> MarkInformedResult:
        actor = info.context.require_identity()

        async def work(session: AsyncSession) -> HouseholdReceipt:
            read = await circulars.mark_informed(session, actor=actor, post_id=str(post_id),
                                                 household_id=str(household_id))
            household = await households.get_household(session, read.household_id)
            return _receipt(circulars.HouseholdReceipt(read.household_id, household.label, household.address, True,
                                                        True, read.rsvp))

        return await _write(info, work)
