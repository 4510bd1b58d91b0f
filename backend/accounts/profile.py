"""The resident's own profile: display name, locale and the languages they speak.

`updateProfile` is an offline action: it arrives through the sync engine.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from backend.accounts.models import User
from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome
from backend.core.errors import NotFound, ValidationFailed

LOCALES = ("ja", "en", "ja-easy", "zh-Hans", "ko", "vi", "ne", "pt")
_LANGUAGE_MAX = 20


def clean_display_name(value: str) -> str:
    name = unicodedata.normalize("NFC", value or "").strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("The display name must have 1 to 200 characters")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ValidationFailed("The display name must not contain control characters")
    return name


def clean_locale(value: str) -> str:
    if value not in LOCALES:
        raise ValidationFailed(f"Unsupported locale {value!r}; use one of {', '.join(LOCALES)}")
    return value


def clean_languages(values: list[str]) -> list[str]:
    if len(values) > _LANGUAGE_MAX:
        raise ValidationFailed(f"At most {_LANGUAGE_MAX} languages")
    cleaned: list[str] = []
    for value in values:
        tag = value.strip()
        if not 2 <= len(tag) <= 20 or not all(ch.isalnum() or ch == "-" for ch in tag):
            raise ValidationFailed(f"{value!r} is not a language tag such as ja, en or vi")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


class ProfileFields(Protocol):
    """A User, or a row of the same columns (the RETURNING of `_write_profile`)."""

    id: str
    display_name: str
    locale: str
    languages: list[str]
    version: int


def profile_data(user: ProfileFields) -> dict[str, Any]:
    return {
        "id": user.id,
        "displayName": user.display_name,
        "locale": user.locale,
        "languages": list(user.languages),
    }


def record_profile_change(session: AsyncSession, user: ProfileFields) -> feed.ChangeRecord:
    return feed.record_change(
        session,
        entity_type="Profile",
        entity_id=user.id,
        version=user.version,
        data=profile_data(user),
        audiences={audience.user(user.id)},
    )


def _profile_changes(
    display_name: str | None, locale: str | None, languages: list[str] | None
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if display_name is not None:
        changes["display_name"] = clean_display_name(display_name)
    if locale is not None:
        changes["locale"] = clean_locale(locale)
    if languages is not None:
        changes["languages"] = clean_languages(languages)
    if not changes:
        raise ValidationFailed("Nothing to change: give displayName, locale or languages")
    return changes


_USER: sa.Table = User.__table__  # type: ignore[attr-defined]


@functools.cache
def _update_statement(columns: tuple[str, ...]) -> sa.Update:
    """UPDATE ... RETURNING for one set of changed columns, built once and reused.

    Building the statement (operators, coercions, its cache key) cost about as much CPU as
    executing it; a reused statement object keeps its memoized cache key.
    """
    return (
        sa.update(_USER)
        .where(_USER.c.id == sa.bindparam("p_user_id"))
        .values({**{name: sa.bindparam(f"p_{name}") for name in columns}, "version": _USER.c.version + 1})
        .returning(_USER.c.id, _USER.c.display_name, _USER.c.locale, _USER.c.languages, _USER.c.version)
    )


async def _write_profile(session: AsyncSession, user_id: str, changes: dict[str, Any]) -> Any:
    """Apply `changes` with one UPDATE ... RETURNING and put the new profile on the feed.

    This runs once per queued updateProfile action in a push, so it is a Core statement (one
    round trip, no ORM object built; bench/sync_push.py) instead of a SELECT and an UPDATE at
    the flush. The version is incremented in SQL under the row lock the UPDATE takes.
    """
    params = {f"p_{name}": value for name, value in changes.items()}
    params["p_user_id"] = user_id
    row = (await session.execute(_update_statement(tuple(sorted(changes))), params)).first()
    if row is None:
        raise NotFound("No such user")
    # A User of this id already loaded in the session would now be stale (the push path
    # loads none: the identity map is empty and the lookup is skipped).
    if session.identity_map:
        loaded = session.identity_map.get(identity_key(User, user_id))
        if loaded is not None:
            session.expire(loaded)
    record_profile_change(session, row)
    return row


async def update_profile(
    session: AsyncSession,
    *,
    user_id: str,
    display_name: str | None,
    locale: str | None,
    languages: list[str] | None,
) -> User:
    await _write_profile(session, user_id, _profile_changes(display_name, locale, languages))
    user = await session.get(User, user_id, populate_existing=True)
    assert user is not None
    return user


async def apply_update_profile(
    session: AsyncSession, ctx: ActionContext, args: Any
) -> ActionOutcome:
    changes = _profile_changes(args.display_name, args.locale, args.languages)
    row = await _write_profile(session, ctx.user_id, changes)
    return ActionOutcome(entity_type="Profile", entity_id=row.id, version=row.version)
