"""The marketplace's fixed words and pure rules: kinds, categories, states, limits, and the
checks on what a resident writes. No database here."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from backend.core.errors import DomainError, ValidationFailed

REQUEST, OFFER = "REQUEST", "OFFER"
KINDS = (REQUEST, OFFER)
CATEGORIES = (
    "WATER", "FOOD", "MEDICINE", "DAILY_GOODS", "CHARGING", "TRANSPORT", "SHOPPING_HELP",
    "CHILDCARE", "ELDERLY_SUPPORT", "LANGUAGE_HELP", "OTHER",
)
ASSOCIATION, WARD = "ASSOCIATION", "WARD"

# Listing states. OPEN: something left to claim. CLAIMED: all of it matched, not all handed
# over. DONE: all of it handed over. WITHDRAWN by the owner; EXPIRED with time.
OPEN, CLAIMED, DONE, WITHDRAWN, EXPIRED = "OPEN", "CLAIMED", "DONE", "WITHDRAWN", "EXPIRED"
CLOSED_STATES = frozenset({WITHDRAWN, EXPIRED, DONE})
# Claim states.
ACTIVE, HANDED_OVER, CANCELLED = "CLAIMED", "HANDED_OVER", "CANCELLED"

MAX_QUANTITY = 999
DEFAULT_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=60)
# A matched claim outlives its listing by this much, so the hand-over can still happen.
CLAIM_GRACE = timedelta(hours=24)
TITLE_MAX, BODY_MAX, CONTACT_MAX, REASON_MAX = 200, 2000, 300, 500


class ItemAlreadyClaimed(DomainError):
    code = "ITEM_ALREADY_CLAIMED"


class ListingClosed(DomainError):
    code = "LISTING_CLOSED"


class ListingExpired(DomainError):
    code = "LISTING_EXPIRED"


class RateLimited(DomainError):
    code = "RATE_LIMITED"


def clean_text(value: str | None, *, name: str, max_length: int, required: bool = False) -> str:
    text = unicodedata.normalize("NFC", value or "").strip()
    if required and not text:
        raise ValidationFailed(f"The {name} must not be empty")
    if len(text) > max_length:
        raise ValidationFailed(f"The {name} must have at most {max_length} characters")
    return text


def check_quantity(quantity: int | None, *, name: str = "quantity") -> int:
    value = 1 if quantity is None else quantity
    if not 1 <= value <= MAX_QUANTITY:
        raise ValidationFailed(f"The {name} must be between 1 and {MAX_QUANTITY}")
    return value


def expiry(requested: datetime | None, *, now: datetime) -> datetime:
    if requested is None:
        return now + DEFAULT_LIFETIME
    if requested.tzinfo is None:
        raise ValidationFailed("expiresAt needs a time zone")
    if requested <= now:
        raise ValidationFailed("expiresAt is already past")
    if requested - now > MAX_LIFETIME:
        raise ValidationFailed(f"A listing runs for at most {MAX_LIFETIME.days} days")
    return requested


def status_for(quantity_left: int, active_claims: int, current: str) -> str:
    """The state a listing takes after its quantities changed (closed states stay)."""
    if current in (WITHDRAWN, EXPIRED):
        return current
    if quantity_left > 0:
        return OPEN
    return CLAIMED if active_claims else DONE


def left_message(left: int, total: int) -> str:
    if left == 0:
        return f"Already claimed: all {total} are taken (0 left)"
    return f"Already claimed: only {left} of {total} left"
