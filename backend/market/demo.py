"""A few requests and offers for the demo ward (駒込), so the market screen is not empty.

Idempotent: each demo listing has a fixed id; one that exists is left as it is.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.market import listings
from backend.market.models import Listing

_NAMESPACE = uuid.UUID("6f1d1c52-3b8e-4f55-9d43-6f7a0c7e2a15")
# (owner's email, kind, category, title, body, quantity, lat, lon, visibility)
DEMO = (
    ("hanako@demo.otagai.example", "OFFER", "WATER", "水 2ケース (2L×6本)", "玄関先でお渡しします。", 2,
     35.7381, 139.7472, "ASSOCIATION"),
    ("tom@demo.otagai.example", "OFFER", "CHARGING", "Phone charging / スマホの充電", "Solar panel, 3 phones at a time.",
     3, 35.7368, 139.7490, "WARD"),
    ("linh@demo.otagai.example", "REQUEST", "LANGUAGE_HELP", "やさしい にほんご で 説明 して ください",
     "区役所 の 書類 を いっしょに 読んで ほしい です。", 1, 35.7359, 139.7461, "WARD"),
    ("hanako@demo.otagai.example", "REQUEST", "ELDERLY_SUPPORT", "祖母の買い物を手伝ってください",
     "週に一度、スーパーまで付き添いをお願いします。", 1, 35.7383, 139.7470, "ASSOCIATION"),
)


async def load_demo_listings(session: AsyncSession, *, users: dict[str, str], now: datetime) -> int:
    created = 0
    for email, kind, category, title, body, quantity, lat, lon, visibility in DEMO:
        listing_id = str(uuid.uuid5(_NAMESPACE, f"{email}:{title}"))
        if email not in users or await session.get(Listing, listing_id) is not None:
            continue
        await listings.create_listing(session, user_id=users[email], now=now, new=listings.NewListing(
            id=listing_id, kind=kind, category=category, title=title, body=body, quantity=quantity,
            lat=lat, lon=lon, visibility=visibility, contact="アプリで連絡 (Contact in the app)",
        ))
        created += 1
    return created
