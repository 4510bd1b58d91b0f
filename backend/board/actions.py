"""What board plugs into the sync engine: its offline actions (households, posts, comments,
circular reads and RSVPs, reports) and the audiences membership opens."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.accounts import service as accounts
from backend.board import (
    access,
    associations,
    circulars,
    comments,
    edits,
    households,
    membership,
    moderation,
    posts,
)
from backend.board.types import (
    AddHouseholdMemberInput,
    CreateCommentInput,
    CreateHouseholdInput,
    CreatePostInput,
    DeleteCommentInput,
    DeletePostInput,
    EditPostInput,
    LeaveAssociationInput,
    MarkCircularReadInput,
    ReportContentInput,
    RsvpCircularInput,
    SetAssociationAreaInput,
    SetHouseholdGroupInput,
)
from backend.core import audience
from backend.core.actions import ActionContext, ActionOutcome, ActionSpec, Registry
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.ids import is_uuid


async def create_household(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    if not is_uuid(str(args.id)):
        raise ValidationFailed("The household id must be a UUID made by the app")
    association_id = str(args.association_id)
    await associations.get_association(session, association_id)
    leads = await access.leads(session, ctx.user_id, association_id)
    member = await associations.is_member(session, association_id=association_id, user_id=ctx.user_id)
    if not (leads or member):
        raise Forbidden("Join the association first")
    if not leads and not args.join_self:
        raise Forbidden("Residents create their own household (joinSelf)")
    household = await households.create_household(
        session, association_id=association_id, label=args.label, address=args.address,
        group_name=args.group_name, created_by=ctx.user_id, household_id=str(args.id),
    )
    if args.join_self:
        person = await people.ensure_person_for_user(session, ctx.user_id)
        await households.add_household_member(
            session, household=household, person_id=person.id, new_household=True
        )
    await households.record_household(session, household)
    return ActionOutcome("Household", household.id, household.version)


async def add_household_member(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    household = await households.get_household(session, str(args.household_id))
    if not await access.leads(session, ctx.user_id, household.association_id):
        raise Forbidden("Only leaders of the association add people to a household")
    person = await people.get_person(session, str(args.person_id))
    if person is None:
        if is_uuid(str(args.person_id)) and await accounts.get_user(session, str(args.person_id)):
            person = await people.ensure_person_for_user(session, str(args.person_id))
        else:
            raise NotFound("No such person")
    if not await households.add_household_member(session, household=household, person_id=person.id):
        raise ValidationFailed("This person is already in the household")
    await households.record_household(session, household)
    return ActionOutcome("Household", household.id, household.version)


async def set_household_group(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    household = await households.get_household(session, str(args.household_id))
    await access.require_leader(session, ctx.user_id, household.association_id)
    if await households.set_group(session, household=household, group_name=args.group_name):
        await households.record_household(session, household)
    return ActionOutcome("Household", household.id, household.version)


async def set_association_area(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    await access.require_ward_admin(session, ctx.user_id)
    association = await associations.set_area(session, association_id=str(args.association_id),
                                              area_geojson=args.area)
    return ActionOutcome("Association", association.id, association.version)


async def audiences_of_member(session: AsyncSession, user_id: str) -> set[str]:
    result = {audience.association_members(a) for a in await associations.associations_of_user(session, user_id)}
    result |= {audience.household(h.id) for h in await households.households_of_person(session, user_id)}
    return result


def register(registry: Registry) -> None:
    registry.add_action(ActionSpec(
        "createHousehold", CreateHouseholdInput, create_household,
        description="Create a household (residents: their own; leaders: any in their association).",
    ))
    registry.add_action(ActionSpec(
        "addHouseholdMember", AddHouseholdMemberInput, add_household_member,
        description="Leaders: add a person to a household.",
    ))
    registry.add_action(ActionSpec(
        "setHouseholdGroup", SetHouseholdGroupInput, set_household_group,
        description="Leaders: move a household to another group (班) of the association.",
    ))
    registry.add_action(ActionSpec(
        "leaveAssociation", LeaveAssociationInput, membership.leave_association,
        description="Leave an association (its households keep their circular receipts).",
    ))
    registry.add_action(ActionSpec(
        "setAssociationArea", SetAssociationAreaInput, set_association_area,
        description="Ward admins: change or clear an association's area polygon.",
    ))
    _register_board(registry)
    registry.add_audiences(audiences_of_member)


def _register_board(registry: Registry) -> None:
    for name, input_type, handler, description in [
        ("createPost", CreatePostInput, posts.create_post,
         "Post on the association board; leaders and officers send broadcasts and circulars."),
        ("editPost", EditPostInput, edits.edit_post, "The author edits a post (merged per field)."),
        ("deletePost", DeletePostInput, edits.delete_post, "The author deletes a post."),
        ("createComment", CreateCommentInput, comments.create_comment, "Comment on a post."),
        ("deleteComment", DeleteCommentInput, comments.delete_comment, "The author deletes a comment."),
        ("markCircularRead", MarkCircularReadInput, circulars.mark_read,
         "A member opened a circular: their household has read it."),
        ("rsvpCircular", RsvpCircularInput, circulars.answer_rsvp, "The household's answer to a circular."),
        ("reportContent", ReportContentInput, moderation.report_content, "Report a post or comment."),
    ]:
        registry.add_action(ActionSpec(name, input_type, handler, description=description))
