"""What the server holds at the end of the drill, read straight from the database.

Each effect a phone's action can have is an `Effect` — (kind, entity id, whose) — so the
verification compares sets: the effects the phones' applied actions explain against the
effects the server holds. Versions of the entities the phones replicate are read beside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from backend.board.models import CircularRead, Post
from backend.core.db import driver_url
from backend.market.models import Claim, Listing
from backend.market.rules import ACTIVE, HANDED_OVER

Effect = tuple[str, str, str | None]  # (kind, entity id, the person or household it belongs to)
Key = tuple[str, str]  # a replica's key: (GraphQL entity type, entity id)

_POST: sa.Table = Post.__table__  # type: ignore[attr-defined]
_READ: sa.Table = CircularRead.__table__  # type: ignore[attr-defined]
_LISTING: sa.Table = Listing.__table__  # type: ignore[attr-defined]
_CLAIM: sa.Table = Claim.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Broadcast:
    association_id: str
    created_at: datetime


@dataclass
class Truth:
    checkins: set[str] = field(default_factory=set)
    profiles: dict[str, int] = field(default_factory=dict)  # user → version
    statuses: dict[str, int] = field(default_factory=dict)  # person → SafetyStatus version
    logged: set[str] = field(default_factory=set)  # mutation ids in the server's log
    effects: set[Effect] = field(default_factory=set)  # posts, reads, listings, claims
    versions: dict[Key, int] = field(default_factory=dict)  # posts, reads, listings, claims
    by_association: dict[str, set[Key]] = field(default_factory=dict)  # its posts and listings
    by_person: dict[str, set[Key]] = field(default_factory=dict)  # claims they made or got
    by_household: dict[str, set[Key]] = field(default_factory=dict)  # its circular receipts
    overclaimed: int = 0  # listings whose claims do not add up to what they had
    households_read: int = 0
    households: int = 0
    listings: int = 0
    claims: int = 0


def count(url: str, sql: str, **params: Any) -> int:
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


def server_truth(url: str, incident: str) -> Truth:
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    truth = Truth()
    try:
        with engine.connect() as conn:
            truth.checkins = {r[0] for r in conn.execute(sa.text("SELECT id FROM checkin WHERE incident_id = :i"),
                                                         {"i": incident})}
            truth.profiles = {r[0]: int(r[1]) for r in conn.execute(sa.text("SELECT id, version FROM account_user"))}
            truth.statuses = {r[0]: int(r[1]) for r in conn.execute(
                sa.text("SELECT person_id, version FROM safety_status WHERE incident_id = :i"), {"i": incident})}
            truth.logged = {r[0] for r in conn.execute(sa.text("SELECT mutation_id FROM sync_mutation"))}
            truth.households = int(conn.execute(sa.text("SELECT count(*) FROM household")).scalar_one())
            _board(conn, truth)
            _market(conn, truth)
    finally:
        engine.dispose()
    return truth


def _hold(truth: Truth, effect: Effect, key: Key, version: int, index: dict[str, set[Key]], *owners: str) -> None:
    truth.effects.add(effect)
    truth.versions[key] = version
    for owner in owners:
        index.setdefault(owner, set()).add(key)


def _board(conn: sa.Connection, truth: Truth) -> None:
    for p in conn.execute(sa.select(_POST.c.id, _POST.c.author_id, _POST.c.association_id, _POST.c.version)):
        _hold(truth, ("Post", p.id, p.author_id), ("Post", p.id), p.version, truth.by_association, p.association_id)
    for r in conn.execute(sa.select(_READ.c.post_id, _READ.c.household_id, _READ.c.read_at, _READ.c.version)):
        entity = f"{r.post_id}:{r.household_id}"
        truth.versions[("CircularRead", entity)] = r.version
        truth.by_household.setdefault(r.household_id, set()).add(("CircularRead", entity))
        if r.read_at is not None:
            truth.effects.add(("CircularRead", entity, r.household_id))
            truth.households_read += 1


def _market(conn: sa.Connection, truth: Truth) -> None:
    held: dict[str, int] = {}
    for c in conn.execute(sa.select(_CLAIM.c.id, _CLAIM.c.listing_id, _CLAIM.c.claimer_id, _CLAIM.c.owner_id,
                                    _CLAIM.c.quantity, _CLAIM.c.status, _CLAIM.c.version)):
        _hold(truth, ("Claim", c.id, c.claimer_id), ("Claim", c.id), c.version, truth.by_person,
              c.claimer_id, c.owner_id)
        if c.status in (ACTIVE, HANDED_OVER):
            held[c.listing_id] = held.get(c.listing_id, 0) + c.quantity
        truth.claims += 1
    for item in conn.execute(sa.select(_LISTING.c.id, _LISTING.c.owner_id, _LISTING.c.association_id,
                                       _LISTING.c.quantity, _LISTING.c.quantity_left, _LISTING.c.version)):
        _hold(truth, ("Listing", item.id, item.owner_id), ("Listing", item.id), item.version, truth.by_association,
              item.association_id or "")
        if item.quantity_left < 0 or item.quantity_left != item.quantity - held.get(item.id, 0):
            truth.overclaimed += 1
        truth.listings += 1


def emergency_broadcasts(url: str) -> dict[str, Broadcast]:
    """Every EMERGENCY broadcast the server holds, with when it was received."""
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(_POST.c.id, _POST.c.association_id, _POST.c.created_at).where(
                _POST.c.kind == "BROADCAST", _POST.c.urgency == "EMERGENCY"))
            return {r.id: Broadcast(r.association_id, r.created_at) for r in rows}
    finally:
        engine.dispose()
