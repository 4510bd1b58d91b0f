"""Pure rules of Web Push delivery: categories, quiet hours, topics, and what a status means.

GOV.UK Notify's rule for retries: only network errors, 429 and 5xx are worth another try,
a bounded number of times with growing waits; 404/410 mean the subscription is gone; any
other answer is a permanent failure of that delivery.
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.core.errors import ValidationFailed

CATEGORIES = {"EMERGENCY": 1, "IMPORTANT": 2, "CIRCULAR": 4, "INCIDENT": 8, "MARKET": 16, "SAFETY": 32}
EMERGENCY = CATEGORIES["EMERGENCY"]
ALL_CATEGORIES = sum(CATEGORIES.values())
# Categories that reach a phone in quiet hours too: a disaster does not wait for the morning.
# Their fan-outs and deliveries also go before whatever ordinary ones are still queued.
URGENT = EMERGENCY | CATEGORIES["INCIDENT"]
# The queue hands out deliveries earliest due first (queue.claim); an urgent message's are
# queued as due this long ago, ahead of every ordinary delivery queued since.
URGENT_HEAD_START = timedelta(days=1)

MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 15 * 60.0
RETRY_AFTER_CAP_S = 6 * 3600.0


def category_mask(names: list[str] | None) -> int:
    """None means every category; emergencies are always on."""
    if names is None:
        return ALL_CATEGORIES
    mask = EMERGENCY
    for name in names:
        if name not in CATEGORIES:
            raise ValidationFailed(f"Unknown push category {name!r}")
        mask |= CATEGORIES[name]
    return mask


def category_names(mask: int) -> list[str]:
    return [name for name, bit in CATEGORIES.items() if mask & bit]


def parse_clock(value: str) -> int:
    """"HH:MM" → minutes after midnight."""
    try:
        hours, minutes = (int(part) for part in value.split(":"))
    except ValueError:
        raise ValidationFailed(f"Quiet hours are given as HH:MM (got {value!r})") from None
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValidationFailed(f"Quiet hours are given as HH:MM (got {value!r})")
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clean_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"Unknown time zone {name!r}") from None
    return name


def quiet_until(now: datetime, *, start: int | None, end: int | None, time_zone: str) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None when it is not quiet."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(ZoneInfo(time_zone))
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    wait = (end - minute) % (24 * 60)
    resume = local.replace(second=0, microsecond=0) + timedelta(minutes=wait)
    return resume.astimezone(UTC)


def topic(tag: str) -> str:
    """The `Topic` header: at most 32 URL-safe base64 characters, the same for the same tag."""
    return base64.urlsafe_b64encode(hashlib.sha256(tag.encode()).digest()[:24]).decode()


def outcome(status: int | None) -> str:
    """sent | retry | gone | failed — None is a network error."""
    if status is None or status == 429 or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "sent"
    if status in (404, 410):
        return "gone"
    return "failed"


def backoff_s(attempts: int) -> float:
    """Exponential with jitter (half to all of the ceiling), so a recovering push service is not hit all at once."""
    ceiling: float = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** max(0, attempts - 1))
    return ceiling / 2 + random.random() * ceiling / 2


def retry_after_s(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), RETRY_AFTER_CAP_S)
