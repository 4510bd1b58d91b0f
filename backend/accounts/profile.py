"""The resident's own profile: display name, locale and the languages they speak.

`updateProfile` is an offline action: it arrives through the sync engine.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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


def profile_data(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "displayName": user.display_name,
        "locale": user.locale,
        "languages": list(user.languages),
    }


def record_profile_change(session: AsyncSession, user: User) -> feed.ChangeRecord:
    return feed.record_change(
        session,
        entity_type="Profile",
        entity_id=user.id,
        version=user.version,
        data=profile_data(user),
        audiences={audience.user(user.id)},
    )


async def update_profile(
    session: AsyncSession,
    *,
    user_id: str,
    display_name: str | None,
    locale: str | None,
    languages: list[str] | None,
) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    changes: dict[str, Any] = {}
    if display_name is not None:
        changes["display_name"] = clean_display_name(display_name)
    if locale is not None:
        changes["locale"] = clean_locale(locale)
    if languages is not None:
        changes["languages"] = clean_languages(languages)
    if not changes:
        raise ValidationFailed("Nothing to change: give displayName, locale or languages")
    for key, value in changes.items():
        setattr(user, key, value)
    user.version += 1
    session.add(user)
    await session.flush()
    record_profile_change(session, user)
    return user


async def apply_update_profile(
    session: AsyncSession, ctx: ActionContext, args: Any
) -> ActionOutcome:
    user = await update_profile(
        session,
        user_id=ctx.user_id,
        display_name=args.display_name,
        locale=args.locale,
        languages=args.languages,
    )
    return ActionOutcome(entity_type="Profile", entity_id=user.id, version=user.version)
