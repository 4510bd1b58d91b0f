"""What accounts plugs into the sync engine: the updateProfile action and its audiences."""

from __future__ import annotations

from backend.accounts import profile, service
from backend.accounts.types import UpdateProfileInput
from backend.core.actions import ActionSpec, Registry
from backend.core.ratelimit import RateLimiter


def register(registry: Registry) -> None:
    registry.add_action(
        ActionSpec(
            name="updateProfile",
            input_type=UpdateProfileInput,
            handler=profile.apply_update_profile,
            description="Change one's display name, locale or languages spoken.",
        )
    )
    registry.add_audiences(service.audiences_of_user)


class AccountsParts:
    """The long-lived parts of accounts, kept in the request context."""

    def __init__(self, *, rate_limits: bool) -> None:
        self.login_limiter = RateLimiter(limit=10, window_seconds=60, enabled=rate_limits)
