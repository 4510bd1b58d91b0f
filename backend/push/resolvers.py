"""Thin GraphQL resolvers for Web Push; the rules live in service.py."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from backend.core.context import Context
from backend.core.errors import DomainError
from backend.push import rules, service
from backend.push.models import PushSubscription as SubscriptionRow
from backend.push.parts import PushParts
from backend.push.types import (
    PushCategory,
    PushError,
    PushSubscription,
    PushUnsubscribed,
    QuietHours,
    SubscribePushInput,
    SubscribePushResult,
    UnsubscribePushResult,
)


def _parts(info: Info[Context, None]) -> PushParts:
    parts: PushParts = info.context.part("push")
    return parts


def _subscription(row: SubscriptionRow, chosen: list[str] | None) -> PushSubscription:
    quiet = None
    if row.quiet_start is not None and row.quiet_end is not None:
        quiet = QuietHours(start=rules.format_clock(row.quiet_start), end=rules.format_clock(row.quiet_end),
                           time_zone=row.time_zone)
    return PushSubscription(
        id=strawberry.ID(row.id), endpoint=row.endpoint, locale=row.locale,
        categories=[PushCategory(c) for c in rules.category_names(row.categories)],
        association_ids=None if chosen is None else [strawberry.ID(a) for a in chosen], quiet_hours=quiet,
    )


def _preferences(input: SubscribePushInput) -> service.Preferences:
    p = input.preferences
    if p is None:
        return service.Preferences()
    return service.Preferences(
        association_ids=None if p.association_ids is None else [str(a) for a in p.association_ids],
        categories=None if p.categories is None else [c.value for c in p.categories],
        quiet_start=p.quiet_hours.start if p.quiet_hours else None,
        quiet_end=p.quiet_hours.end if p.quiet_hours else None,
        time_zone=p.quiet_hours.time_zone if p.quiet_hours else service.DEFAULT_TIME_ZONE,
    )


@strawberry.type
class PushQuery:
    @strawberry.field(name="vapidPublicKey", description="The application server key (base64url) for subscribing.")
    def vapid_public_key(self, info: Info[Context, None]) -> str:
        return _parts(info).keys.application_server_key

    @strawberry.field(name="pushSubscription", description="This device's subscription and choices, if any.")
    async def push_subscription(self, info: Info[Context, None], endpoint: str) -> PushSubscription | None:
        actor = info.context.require_identity()
        async with info.context.db.read_session() as session:
            row = await service.find_subscription(session, user_id=actor.user_id, endpoint=endpoint)
            if row is None:
                return None
            chosen = None if row.all_associations else await service.chosen_associations(session, row.id)
        return _subscription(row, chosen)


@strawberry.type
class PushMutation:
    @strawberry.mutation(name="subscribePush", description="Subscribe this device (again) with its preferences.")
    async def subscribe_push(self, info: Info[Context, None], input: SubscribePushInput) -> SubscribePushResult:
        actor = info.context.require_identity()
        try:
            async with info.context.db.unit_of_work() as uow:
                row = await service.subscribe(
                    uow.session, user_id=actor.user_id, endpoint=input.endpoint, p256dh=input.keys.p256dh,
                    auth=input.keys.auth, locale=input.locale, preferences=_preferences(input),
                    settings=info.context.settings, resolver=_parts(info).resolver,
                )
                chosen = None if row.all_associations else await service.chosen_associations(uow.session, row.id)
                await uow.commit()
        except DomainError as exc:
            return PushError(code=exc.code, message=exc.message)
        return _subscription(row, chosen)

    @strawberry.mutation(name="unsubscribePush", description="Stop pushes to this device.")
    async def unsubscribe_push(self, info: Info[Context, None], endpoint: str) -> UnsubscribePushResult:
        actor = info.context.require_identity()
        async with info.context.db.unit_of_work() as uow:
            removed = await service.unsubscribe(uow.session, user_id=actor.user_id, endpoint=endpoint)
            await uow.commit()
        return PushUnsubscribed(endpoint=endpoint, removed=removed)
