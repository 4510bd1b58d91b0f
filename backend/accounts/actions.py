"""What accounts plugs into the sync engine: the updateProfile action and its audiences."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import profile, service
from backend.accounts.types import UpdateProfileInput
from backend.core.actions import ActionSpec, AuditRecord, Registry
from backend.core.ratelimit import RateLimiter, rate_limiter


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
    registry.audit_writer = write_audit


async def write_audit(session: AsyncSession, actor_id: str, records: list[AuditRecord]) -> None:
    for record in records:
        await service.audit(
            session, actor_id=actor_id, action=record.action, subject_type=record.subject_type,
            subject_id=record.subject_id, detail=record.detail,
        )


class AccountsParts:
    """The long-lived parts of accounts, kept in the request context."""

    def __init__(self, *, rate_limits: bool, redis_url: str | None = None) -> None:
        # Per account: 10 tries a minute. Per address: 120 a minute, because everyone at a
        # shelter may share one Wi-Fi address. Counted in Redis when it is configured, so the
        # limits hold across every app worker.
        self.login_limiter: RateLimiter = rate_limiter(
            name="login", limit=10, window_seconds=60, enabled=rate_limits, redis_url=redis_url)
        self.address_limiter: RateLimiter = rate_limiter(
            name="address", limit=120, window_seconds=60, enabled=rate_limits, redis_url=redis_url)

    async def aclose(self) -> None:
        await self.login_limiter.aclose()
        await self.address_limiter.aclose()
