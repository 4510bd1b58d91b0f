"""People: every user is a person (same id); people without accounts are registered by a
household member, a leader or shelter staff. Names are folded for search."""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.models import Person, SafetyConsent, User
from backend.core import bulk
from backend.core.clock import utcnow
from backend.core.errors import NotFound, ValidationFailed

_SPACES = re.compile(r"[\s\u3000・･,、.]+")


# Variant kanji common in family names (異体字), folded to the everyday form.
_ITAIJI = str.maketrans({
    "髙": "高", "﨑": "崎", "嵜": "崎", "嶋": "島", "嶌": "島", "邊": "辺", "邉": "辺", "齋": "斎",
    "齊": "斎", "濵": "浜", "濱": "浜", "國": "国", "澤": "沢", "櫻": "桜", "廣": "広", "瀨": "瀬",
    "眞": "真", "德": "徳", "冨": "富", "惠": "恵", "實": "実", "龍": "竜", "藏": "蔵", "圓": "円",
    "淺": "浅", "關": "関", "榮": "栄", "縣": "県", "萬": "万", "彌": "弥", "壽": "寿", "莊": "荘",
})


def _kata_to_hira(text: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


def fold_name(name: str) -> str:
    """One spelling for matching: NFKC (half/full width), kana folded to hiragana, no spaces,
    lower case. Family-name-first and given-name-first orders are matched by the caller."""
    text = unicodedata.normalize("NFKC", name or "").strip().lower().translate(_ITAIJI)
    return _SPACES.sub("", _kata_to_hira(text))


def name_orders(name: str) -> set[str]:
    """The folded name in both orders ("Suzuki Hanako" and "Hanako Suzuki")."""
    parts = [p for p in _SPACES.split(unicodedata.normalize("NFKC", name or "").strip()) if p]
    folded = {fold_name(name)}
    if len(parts) >= 2:
        folded.add(fold_name("".join(parts[1:] + parts[:1])))
        folded.add(fold_name("".join(parts[-1:] + parts[:-1])))
    return folded


def clean_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit())
    if not 6 <= len(digits) <= 15:
        raise ValidationFailed("A phone number has 6 to 15 digits")
    return digits


def clean_birth_year(value: int | None) -> int | None:
    if value is None:
        return None
    this_year = utcnow().year
    if not this_year - 125 <= value <= this_year:
        raise ValidationFailed("The birth year is not plausible")
    return value


async def ensure_person_for_user(session: AsyncSession, user_id: str) -> Person:
    """The person row of a user (same id), created on first need."""
    person = await session.get(Person, user_id)
    if person is not None:
        return person
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    person = Person(
        id=user.id,
        user_id=user.id,
        display_name=user.display_name,
        search_name=fold_name(user.display_name),
        created_by=user.id,
        created_at=utcnow(),
    )
    session.add(person)
    await session.flush()
    return person


async def create_person(
    session: AsyncSession,
    *,
    person_id: str,
    display_name: str,
    created_by: str,
    birth_year: int | None = None,
    phone: str | None = None,
    name_kana: str | None = None,
) -> Person:
    name = unicodedata.normalize("NFC", display_name or "").strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("The name must have 1 to 200 characters")
    existing = await session.get(Person, person_id)
    if existing is not None:
        raise ValidationFailed("A person with this id already exists")
    person = Person(
        id=person_id,
        display_name=name,
        search_name=fold_name(name),
        search_kana=fold_name(name_kana) if name_kana and name_kana.strip() else None,
        birth_year=clean_birth_year(birth_year),
        phone_digits=clean_phone(phone),
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(person)
    await session.flush()
    return person


async def get_person(session: AsyncSession, person_id: str) -> Person | None:
    person = await session.get(Person, person_id)
    while person is not None and person.merged_into:
        person = await session.get(Person, person.merged_into)
    return person


# -- composable reads (another domain joins them into one query, one round trip) -------------
_PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]
_CONSENT: sa.Table = SafetyConsent.__table__  # type: ignore[attr-defined]
CONSENT_FLAGS = ("household", "leaders", "shelter_staff", "public_search", "exact_location")
# What a person without a safety_consent row has chosen: the defaults of SafetyConsent.
DEFAULT_CONSENT: dict[str, bool] = {
    flag: bool(getattr(SafetyConsent(person_id=""), flag)) for flag in CONSENT_FLAGS
}


def person_subquery(person_id: Any, name: str = "p") -> sa.Subquery:
    """The person row as a 0-or-1-row subquery: <name>_id, <name>_user_id, <name>_merged_into."""
    return (
        sa.select(_PERSON.c.id.label(f"{name}_id"), _PERSON.c.user_id.label(f"{name}_user_id"),
                  _PERSON.c.merged_into.label(f"{name}_merged_into"))
        .where(_PERSON.c.id == person_id)
        .subquery(name)
    )


def persons_subquery(person_ids: Any, name: str = "p") -> sa.Subquery:
    """person_subquery for many people at once (`person_ids`: a bulk.list_param):
    a row per person that exists."""
    return (
        sa.select(_PERSON.c.id.label(f"{name}_id"), _PERSON.c.user_id.label(f"{name}_user_id"),
                  _PERSON.c.merged_into.label(f"{name}_merged_into"))
        .where(bulk.in_list(_PERSON.c.id, person_ids))
        .subquery(name)
    )


def consent_subquery(person_id: Any, name: str = "c") -> sa.Subquery:
    """The person's visibility choices as a 0-or-1-row subquery: c_<flag> (no row: defaults)."""
    return (
        sa.select(*(_CONSENT.c[flag].label(f"{name}_{flag}") for flag in CONSENT_FLAGS))
        .where(_CONSENT.c.person_id == person_id)
        .subquery(name)
    )


def consents_subquery(person_ids: Any, name: str = "c") -> sa.Subquery:
    """consent_subquery for many people (a bulk.list_param), keyed by <name>_person."""
    return (
        sa.select(_CONSENT.c.person_id.label(f"{name}_person"),
                  *(_CONSENT.c[flag].label(f"{name}_{flag}") for flag in CONSENT_FLAGS))
        .where(bulk.in_list(_CONSENT.c.person_id, person_ids))
        .subquery(name)
    )


@functools.cache
def _consent_getter(name: str) -> Callable[[Any], tuple[Any, ...]]:
    return operator.attrgetter(*(f"{name}_{flag}" for flag in CONSENT_FLAGS))


def consent_from(row: Any, name: str = "c") -> dict[str, bool]:
    """The flags of a row carrying consent_subquery's columns (outer-joined: None = default)."""
    values = _consent_getter(name)(row)
    if all(value is None for value in values):
        return dict(DEFAULT_CONSENT)
    return {flag: bool(value) for flag, value in zip(CONSENT_FLAGS, values, strict=True)}


async def consents_of(session: AsyncSession, person_ids: list[str]) -> dict[str, SafetyConsent]:
    rows = await session.scalars(sa.select(SafetyConsent).where(SafetyConsent.person_id.in_(person_ids)))  # type: ignore[attr-defined]
    found = {c.person_id: c for c in rows}
    return {pid: found.get(pid) or SafetyConsent(person_id=pid) for pid in person_ids}


def consent_columns(person_id: Any, flags: tuple[str, ...]) -> list[Any]:
    """Columns pc_<flag>: the visibility choices of the person in `person_id` (a column of
    another query), the defaults when they never chose. Correlated subqueries: one primary-key
    lookup per row whatever the planner's statistics say."""
    return [
        sa.func.coalesce(
            sa.select(_CONSENT.c[flag]).where(_CONSENT.c.person_id == person_id).scalar_subquery(),
            sa.true() if DEFAULT_CONSENT[flag] else sa.false(),
        ).label(f"pc_{flag}")
        for flag in flags
    ]


def with_people(stmt: sa.Select[Any], person_id: Any, *, consent: tuple[str, ...] = ()) -> sa.Select[Any]:
    """`stmt` (rows naming a person in `person_id`) with, in the same query, the person's
    display name and account (pp_display_name, pp_user_id) and their visibility choices
    (correlated subqueries, as in `consent_columns`)."""
    def of_person(column: sa.Column[Any], label: str) -> Any:
        return sa.select(column).where(_PERSON.c.id == person_id).scalar_subquery().label(label)

    return stmt.add_columns(
        of_person(_PERSON.c.display_name, "pp_display_name"), of_person(_PERSON.c.user_id, "pp_user_id"),
        *consent_columns(person_id, consent),
    )


async def set_consent(session: AsyncSession, person_id: str, changes: dict[str, Any]) -> SafetyConsent:
    consent = await session.get(SafetyConsent, person_id)
    if consent is None:
        consent = SafetyConsent(person_id=person_id)
        session.add(consent)
    else:
        consent.version += 1
    for key, value in changes.items():
        if value is not None:
            setattr(consent, key, bool(value))
    await session.flush()
    return consent


def person_data(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "displayName": person.display_name,
        "hasAccount": person.user_id is not None,
        "birthYear": person.birth_year,
    }


async def publicly_findable(
    session: AsyncSession, *, name_keys: set[str], limit: int = 200
) -> list[tuple[str, str, str | None]]:
    """People who opted in to public search whose name or reading folds to one of the keys:
    (person id, display name, phone digits)."""
    keys = sorted(name_keys)
    rows = await session.execute(
        sa.select(Person.id, Person.display_name, Person.phone_digits)
        .join(SafetyConsent, SafetyConsent.person_id == Person.id)  # type: ignore[arg-type]
        .where(
            SafetyConsent.public_search.is_(True),  # type: ignore[attr-defined]
            Person.merged_into.is_(None),  # type: ignore[union-attr]
            sa.or_(Person.search_name.in_(keys), Person.search_kana.in_(keys)),  # type: ignore[attr-defined,union-attr]
        )
        .order_by(Person.display_name, Person.id)
        .limit(limit)
    )
    return [(row.id, row.display_name, row.phone_digits) for row in rows]
