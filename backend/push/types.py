"""GraphQL types of Web Push (API.md "Web Push")."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry


@strawberry.enum(description="What a subscription wants to hear about; EMERGENCY is always on.")
class PushCategory(Enum):
    EMERGENCY = "EMERGENCY"
    IMPORTANT = "IMPORTANT"
    CIRCULAR = "CIRCULAR"
    INCIDENT = "INCIDENT"
    MARKET = "MARKET"
    SAFETY = "SAFETY"


@strawberry.input
class PushKeysInput:
    p256dh: str
    auth: str


@strawberry.input(description="Local times HH:MM; emergencies and incidents arrive in quiet hours too.")
class QuietHoursInput:
    start: str
    end: str
    time_zone: str = "Asia/Tokyo"


@strawberry.input
class PushPreferencesInput:
    association_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="null: every association you belong to")
    categories: list[PushCategory] | None = strawberry.field(default=None, description="null: all")
    quiet_hours: QuietHoursInput | None = None


@strawberry.input
class SubscribePushInput:
    endpoint: str
    keys: PushKeysInput
    locale: str = "ja"
    preferences: PushPreferencesInput | None = None


@strawberry.type
class QuietHours:
    start: str
    end: str
    time_zone: str


@strawberry.type
class PushSubscription:
    id: strawberry.ID
    endpoint: str
    locale: str
    categories: list[PushCategory]
    association_ids: list[strawberry.ID] | None
    quiet_hours: QuietHours | None


@strawberry.type
class PushUnsubscribed:
    endpoint: str
    removed: bool


@strawberry.type
class PushError:
    code: str
    message: str


SubscribePushResult = Annotated[PushSubscription | PushError, strawberry.union("SubscribePushResult")]
UnsubscribePushResult = Annotated[PushUnsubscribed | PushError, strawberry.union("UnsubscribePushResult")]
