"""Subscriptions: one per device (its endpoint), with the language and the choices of its user."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import profile
from backend.board import associations
from backend.core.clock import utcnow
from backend.core.errors import ValidationFailed
from backend.core.ids import uuid7
from backend.core.settings import Settings
from backend.push import endpoints, rules
from backend.push.fanout import SUB_ASSOC, SUBS
from backend.push.models import PushSubscription

DEFAULT_TIME_ZONE = "Asia/Tokyo"
MAX_KEY = 128


@dataclass(frozen=True)
class Preferences:
    association_ids: list[str] | None = None  # None: every association the user belongs to
    categories: list[str] | None = None  # None: every category (emergencies are always on)
    quiet_start: str | None = None  # "HH:MM", local time in time_zone
    quiet_end: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def _key(value: str, name: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > MAX_KEY or not all(ch.isalnum() or ch in "-_=" for ch in value):
        raise ValidationFailed(f"keys.{name} must be base64url")
    return value


async def subscribe(
    session: AsyncSession, *, user_id: str, endpoint: str, p256dh: str, auth: str, locale: str,
    preferences: Preferences, settings: Settings, resolver: endpoints.Resolver = endpoints.resolve,
) -> PushSubscription:
    """Create or replace the subscription of this endpoint (a device re-subscribes on each start)."""
    await endpoints.check_endpoint(endpoint, allowed_hosts=settings.push_allowed_hosts,
                                   allow_loopback=settings.push_allow_loopback, resolver=resolver)
    p256dh, auth = _key(p256dh, "p256dh"), _key(auth, "auth")
    locale = profile.clean_locale(locale)
    quiet = (preferences.quiet_start, preferences.quiet_end)
    if (quiet[0] is None) != (quiet[1] is None):
        raise ValidationFailed("Quiet hours need both a start and an end")
    chosen = None
    if preferences.association_ids is not None:
        chosen = set(preferences.association_ids)
        if chosen - await associations.associations_of_user(session, user_id):
            raise ValidationFailed("You can only choose associations you are a member of")
    now = utcnow()
    sub = await session.scalar(sa.select(PushSubscription).where(SUBS.c.endpoint_hash == endpoint_hash(endpoint)))
    if sub is None:
        sub = PushSubscription(id=uuid7(), endpoint=endpoint, endpoint_hash=endpoint_hash(endpoint), created_at=now,
                               user_id=user_id, p256dh=p256dh, auth=auth, locale=locale, categories=0,
                               all_associations=True, time_zone=DEFAULT_TIME_ZONE, updated_at=now)
    sub.user_id, sub.p256dh, sub.auth, sub.locale, sub.updated_at = user_id, p256dh, auth, locale, now
    sub.categories = rules.category_mask(preferences.categories)
    sub.all_associations = chosen is None
    sub.quiet_start = rules.parse_clock(quiet[0]) if quiet[0] is not None else None
    sub.quiet_end = rules.parse_clock(quiet[1]) if quiet[1] is not None else None
    sub.time_zone = rules.clean_time_zone(preferences.time_zone or DEFAULT_TIME_ZONE)
    session.add(sub)
    await session.flush()
    await session.execute(sa.delete(SUB_ASSOC).where(SUB_ASSOC.c.subscription_id == sub.id))
    if chosen:
        await session.execute(sa.insert(SUB_ASSOC), [
            {"subscription_id": sub.id, "association_id": a} for a in sorted(chosen)
        ])
    return sub


async def chosen_associations(session: AsyncSession, subscription_id: str) -> list[str]:
    rows = await session.scalars(
        sa.select(SUB_ASSOC.c.association_id).where(SUB_ASSOC.c.subscription_id == subscription_id)
        .order_by(SUB_ASSOC.c.association_id)
    )
    return list(rows)


async def find_subscription(session: AsyncSession, *, user_id: str, endpoint: str) -> PushSubscription | None:
    """This user's subscription of the endpoint (the settings screen shows its choices)."""
    sub = await session.scalar(sa.select(PushSubscription).where(SUBS.c.endpoint_hash == endpoint_hash(endpoint)))
    return sub if sub is not None and sub.user_id == user_id else None


async def unsubscribe(session: AsyncSession, *, user_id: str, endpoint: str) -> bool:
    """Remove this user's subscription of the endpoint; False if there was none."""
    result = await session.execute(
        sa.delete(SUBS).where(SUBS.c.endpoint_hash == endpoint_hash(endpoint), SUBS.c.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
