"""What the marketplace plugs into the sync engine: every resident write is a push action."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.actions import ActionContext, ActionOutcome, ActionSpec, Registry
from backend.core.errors import ValidationFailed
from backend.market import claims, edits, listings, moderation
from backend.market.types import (
    CancelClaimInput,
    ClaimListingInput,
    ConfirmHandoverInput,
    CreateListingInput,
    ReportListingInput,
    UpdateListingInput,
    WithdrawListingInput,
)

_ALREADY_YOURS = "Already yours: you hold this claim"


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


async def create_listing(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    if args.location is None:
        raise ValidationFailed("A listing needs a location (it is shown only as a ≥ 250 m cell)")
    new = listings.NewListing(
        id=str(args.id), kind=_value(args.kind), category=_value(args.category), title=args.title,
        lat=args.location.lat, lon=args.location.lon, body=args.body or "", quantity=args.quantity,
        expires_at=args.expires_at, visibility=_value(args.visibility),
        association_id=str(args.association_id) if args.association_id else None,
        contact=args.contact or "",
    )
    listing = await listings.create_listing(session, user_id=ctx.user_id, new=new, now=ctx.received_at)
    return ActionOutcome("Listing", listing.id, listing.version)


async def update_listing(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    changes = {
        name: getattr(args, name) for name in edits.EDITABLE if getattr(args, name, None) is not None
    }
    outcome = await edits.update_listing(
        session, user_id=ctx.user_id, listing_id=str(args.id), base_version=args.base_version,
        changes=changes, now=ctx.received_at,
    )
    listing = outcome.listing
    if not outcome.merged:
        return ActionOutcome("Listing", listing.id, listing.version)
    message = (f"Your edit replaced a newer {', '.join(outcome.overwritten)}; the old value is kept"
               if outcome.overwritten else "Merged with a newer change")
    return ActionOutcome("Listing", listing.id, listing.version, status="CONFLICT_RESOLVED", message=message)


async def withdraw_listing(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    listing = await listings.withdraw_listing(session, user_id=ctx.user_id, listing_id=str(args.id),
                                              now=ctx.received_at)
    return ActionOutcome("Listing", listing.id, listing.version)


async def claim_listing(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    outcome = await claims.claim_listing(
        session, user_id=ctx.user_id, claim_id=str(args.id), listing_id=str(args.listing_id),
        quantity=args.quantity, now=ctx.received_at,
    )
    claim = outcome.claim
    return ActionOutcome("Claim", claim.id, claim.version,
                         message=_ALREADY_YOURS if outcome.already_yours else None)


async def cancel_claim(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    claim = await claims.cancel_claim(session, user_id=ctx.user_id, claim_id=str(args.claim_id),
                                      now=ctx.received_at)
    return ActionOutcome("Claim", claim.id, claim.version)


async def confirm_handover(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    claim = await claims.confirm_handover(session, user_id=ctx.user_id, claim_id=str(args.claim_id),
                                          now=ctx.received_at)
    return ActionOutcome("Claim", claim.id, claim.version)


async def report_listing(session: AsyncSession, ctx: ActionContext, args: Any) -> ActionOutcome:
    report = await moderation.report_listing(session, user_id=ctx.user_id, listing_id=str(args.listing_id),
                                             reason=args.reason, now=ctx.received_at)
    return ActionOutcome("ListingReport", f"{report.listing_id}:{report.reporter_id}", 1)


def register(registry: Registry) -> None:
    for name, input_type, handler, description in (
        ("createListing", CreateListingInput, create_listing, "助け合い: ask for or offer help or supplies."),
        ("updateListing", UpdateListingInput, update_listing, "The owner edits a listing (baseVersion)."),
        ("withdrawListing", WithdrawListingInput, withdraw_listing, "The owner withdraws a listing."),
        ("claimListing", ClaimListingInput, claim_listing, "Claim part of a listing; first commit wins."),
        ("cancelClaim", CancelClaimInput, cancel_claim, "Either side calls a claim off."),
        ("confirmHandover", ConfirmHandoverInput, confirm_handover, "Either side confirms the hand-over."),
        ("reportListing", ReportListingInput, report_listing, "Report a listing to its moderators."),
    ):
        registry.add_action(ActionSpec(name, input_type, handler, description=description))
