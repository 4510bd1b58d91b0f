"""The drill's ward: residents in households and associations, leaders, shelter staff, and
shelters from a real open-data file — seeded in bulk (Core inserts, tokens made up front), so
20,000 residents take seconds and not hours of password hashing. bench/ uses it too."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.accounts.models import AuthToken, Person, SafetyConsent, User, UserRole
from backend.accounts.people import fold_name
from backend.board.associations import match_name
from backend.board.models import Association, AssociationMember, Household, HouseholdMember
from backend.core.db import Database, driver_url

SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
            "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水")
GIVEN = ("花子", "太郎", "陽菜", "蓮", "結衣", "大翔", "美咲", "翔太", "さくら", "健一", "Anh", "Maria")
HOUSEHOLD_SIZES = ((1, 35), (2, 28), (3, 18), (4, 14), (5, 5))  # weights, roughly a Tokyo ward
DEMO_SHELTERS = Path(__file__).resolve().parents[3] / "fixtures" / "demo" / "toshima_emergency_sites.gsi.csv"


@dataclass
class Resident:
    id: str
    token: str
    name: str
    household: int


@dataclass
class Home:
    id: str
    association: int
    label: str
    address: str
    members: list[int] = field(default_factory=list)  # resident indexes


@dataclass
class Ward:
    associations: list[str]
    residents: list[Resident]
    homes: list[Home]
    leaders: dict[int, list[int]]  # association index → resident indexes
    staff: dict[int, list[int]]  # shelter index → resident indexes
    consents: dict[int, dict[str, bool]]  # resident index → consent row


def build_ward(*, residents: int, associations: int, shelters: int, rng: random.Random) -> Ward:
    association_ids = [str(uuid.uuid4()) for _ in range(associations)]
    people: list[Resident] = []
    homes: list[Home] = []
    sizes, weights = zip(*HOUSEHOLD_SIZES, strict=True)
    while len(people) < residents:
        size = min(rng.choices(sizes, weights)[0], residents - len(people))
        index = len(homes)
        association = index % associations
        surname = rng.choice(SURNAMES)
        home = Home(str(uuid.uuid4()), association, f"{surname}家",
                    f"駒込{association % 7 + 1}-{index // associations % 30 + 1}-{rng.randint(1, 40)}")
        for _ in range(size):
            home.members.append(len(people))
            people.append(Resident(str(uuid.uuid4()), "otg_drill_" + uuid.uuid4().hex,
                                   f"{surname} {rng.choice(GIVEN)}", index))
        homes.append(home)
    by_association = members_by_association(homes)
    leaders = {a: members[:2] for a, members in by_association.items()}
    staff: dict[int, list[int]] = {}
    for s in range(shelters):
        # Two residents of an association this shelter serves (not its leaders).
        members = by_association.get(s % associations, [])
        staff[s] = members[2 + 2 * (s // associations):4 + 2 * (s // associations)] or members[:2]
    consents = {}
    for i in range(len(people)):
        if rng.random() < 0.15:  # some residents chose their own visibility
            consents[i] = {"household": rng.random() > 0.05, "leaders": rng.random() > 0.2,
                           "shelter_staff": rng.random() > 0.2, "public_search": rng.random() < 0.3,
                           "exact_location": rng.random() < 0.3}
    return Ward(association_ids, people, homes, leaders, staff, consents)


def members_by_association(homes: list[Home]) -> dict[int, list[int]]:
    """Association index → the residents of its households (resident indexes)."""
    found: dict[int, list[int]] = {}
    for home in homes:
        found.setdefault(home.association, []).extend(home.members)
    return found


def _rows(ward: Ward, shelter_ids: list[str], now: datetime) -> list[tuple[Any, list[dict[str, Any]]]]:
    later = now + timedelta(days=365)
    roles = [
        {"id": str(uuid.uuid4()), "user_id": ward.residents[r].id, "role": "LEADER",
         "scope_id": ward.associations[a], "granted_by": None, "created_at": now}
        for a, rs in ward.leaders.items() for r in rs]
    roles += [
        {"id": str(uuid.uuid4()), "user_id": ward.residents[r].id, "role": "SHELTER_STAFF",
         "scope_id": shelter_ids[s], "granted_by": None, "created_at": now}
        for s, rs in ward.staff.items() for r in rs if s < len(shelter_ids)]
    return [
        (Association, [
            {"id": a, "name": f"訓練町会{i:03d}", "match_name": match_name(f"訓練町会{i:03d}"),
             "area_geojson": None, "version": 1, "created_at": now}
            for i, a in enumerate(ward.associations)]),
        (User, [
            {"id": r.id, "email": f"r{i}@drill.example", "password_hash": "!drill-seeded-no-login",
             "display_name": r.name, "locale": "ja", "languages": [], "version": 1, "created_at": now}
            for i, r in enumerate(ward.residents)]),
        (Person, [
            {"id": r.id, "user_id": r.id, "display_name": r.name, "search_name": fold_name(r.name),
             "search_kana": None, "birth_year": None, "phone_digits": None, "created_by": r.id,
             "merged_into": None, "version": 1, "created_at": now}
            for r in ward.residents]),
        (AuthToken, [
            {"token_hash": hashlib.sha256(r.token.encode()).hexdigest(), "user_id": r.id,
             "created_at": now, "expires_at": later, "last_used_at": now, "revoked_at": None}
            for r in ward.residents]),
        (SafetyConsent, [
            {"person_id": ward.residents[i].id, **flags, "version": 1} for i, flags in ward.consents.items()]),
        (Household, [
            {"id": h.id, "association_id": ward.associations[h.association], "label": h.label,
             "address": h.address, "group_name": f"{h.association % 9 + 1}班", "version": 1,
             "created_by": None, "created_at": now}
            for h in ward.homes]),
        (HouseholdMember, [
            {"household_id": h.id, "person_id": ward.residents[m].id} for h in ward.homes for m in h.members]),
        (AssociationMember, [
            {"association_id": ward.associations[h.association], "user_id": ward.residents[m].id,
             "joined_at": now}
            for h in ward.homes for m in h.members]),
        (UserRole, roles),
    ]


def seed(url: str, ward: Ward, shelter_ids: list[str],
         extra: Sequence[tuple[Any, list[dict[str, Any]]]] = ()) -> dict[str, float]:
    """Accounts, people, associations, households, roles and tokens, and any `extra` rows
    (model, rows) such as the phones' push subscriptions; seconds per table."""
    import time

    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    timings: dict[str, float] = {}
    try:
        for model, rows in [*_rows(ward, shelter_ids, datetime.now(UTC)), *extra]:
            started = time.perf_counter()
            table: sa.Table = model.__table__
            with engine.begin() as conn:
                for at in range(0, len(rows), 5000):
                    if rows[at:at + 5000]:
                        conn.execute(table.insert(), rows[at:at + 5000])
            timings[table.name] = time.perf_counter() - started
        analyze(engine)
    finally:
        engine.dispose()
    return timings


def analyze(engine: sa.Engine) -> None:
    """Fresh planner statistics after a bulk seed (the tables went from empty to large)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


async def import_shelters(url: str, path: Path, count: int) -> list[tuple[str, float, float]]:
    """The first `count` rows of a real open-data file, through the shelter importer."""
    from backend.api.wiring import wire
    from backend.safety import shelters
    from backend.safety.importer.parse import parse_file

    wire()
    records = parse_file(path).records[:count]
    if not records:
        raise ValueError(f"{path} holds no shelters")
    db = Database(url)
    try:
        async with db.unit_of_work() as uow:
            counts = await shelters.import_records(uow.session, records)
            await uow.commit()
    finally:
        await db.dispose()
    return [(sid, r.lat, r.lon) for sid, r in zip(counts.ids, records, strict=True)]


async def open_drill(url: str, name: str) -> str:
    """A drill incident (訓練), opened as ward staff would."""
    from backend.safety import incidents

    db = Database(url)
    try:
        async with db.unit_of_work() as uow:
            incident = await incidents.open_incident(uow.session, actor=None, name=name, is_drill=True)
            await uow.commit()
            return incident.id
    finally:
        await db.dispose()
