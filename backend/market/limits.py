"""Rate limits on what one resident may post, claim and report.

Counted from the rows themselves (a rolling hour), not kept in memory: a push handler may
run twice when its batch is retried, and several workers share one database, so only the
database knows how many a person really made. `OTAGAI_RATE_LIMITS=off` turns them off.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.core.settings import load_settings
from backend.market.models import Claim, Listing, ListingReport
from backend.market.rules import RateLimited

WINDOW = timedelta(hours=1)
LISTINGS_PER_HOUR = 20
CLAIMS_PER_HOUR = 30
REPORTS_PER_HOUR = 20


def enabled() -> bool:
    return load_settings().rate_limits


async def _check(session: AsyncSession, stmt: sa.Select[int], limit: int, what: str) -> None:
    if not enabled():
        return
    count = int(await session.scalar(stmt) or 0)
    if count >= limit:
        raise RateLimited(f"At most {limit} {what} an hour; try again later")


async def check_listing(session: AsyncSession, *, user_id: str, now: datetime) -> None:
    stmt = sa.select(sa.func.count()).select_from(Listing).where(
        col(Listing.owner_id) == user_id, col(Listing.created_at) > now - WINDOW
    )
    await _check(session, stmt, LISTINGS_PER_HOUR, "new listings")


async def check_claim(session: AsyncSession, *, user_id: str, now: datetime) -> None:
    stmt = sa.select(sa.func.count()).select_from(Claim).where(
        col(Claim.claimer_id) == user_id, col(Claim.created_at) > now - WINDOW
    )
    await _check(session, stmt, CLAIMS_PER_HOUR, "claims")


async def check_report(session: AsyncSession, *, user_id: str, now: datetime) -> None:
    stmt = sa.select(sa.func.count()).select_from(ListingReport).where(
        col(ListingReport.reporter_id) == user_id, col(ListingReport.reported_at) > now - WINDOW
    )
    await _check(session, stmt, REPORTS_PER_HOUR, "reports")
