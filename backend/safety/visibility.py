"""Who may see a person's safety status (opt-in, per person), as feed audiences.

The person themself always; their household, their associations' leaders and the staff of
the shelter they are at only as the person chose (defaults: on, on, on).

Ward staff see the whole ward, but not through their phone's replica: they read it on the
server (shelterStatus, rollCall, the exports), each read audited. A replica of every status
and report of a ward (200,000 rows at 100,000 residents) on a ward admin's phone is a
ward's safety data lost with the phone; and it was 2 of the 11 feed rows of a check-in
(bench/checkin_compare.py: PostgreSQL 512 → 453 µs per check-in). What an admin gives up:
a roll-call they open is as fresh as its last fetch from the server, where a leader's also
follows the statuses their phone pulls (pwa/model.js).

What decides it (the person's account, their choices, their households) is read in one
query: accounts and board each supply a subquery, joined here (no other domain's models).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.board import households
from backend.core import audience


@dataclass(frozen=True)
class Home:
    id: str
    association_id: str
    shared: bool  # the reporter asked about is a member too


@dataclass(frozen=True)
class Visibility:
    person_id: str
    found: bool  # a person row exists
    merged_into: str | None
    user_id: str | None  # of the surviving record, when merged
    consent: dict[str, bool]
    homes: tuple[Home, ...]

    def audiences(self, shelter_id: str | None) -> set[str]:
        result: set[str] = set()
        if self.user_id:
            result.add(audience.user(self.user_id))
        for home in self.homes:
            if self.consent["household"]:
                result.add(audience.household(home.id))
            if self.consent["leaders"]:
                result.add(audience.association_leaders(home.association_id))
        if shelter_id and self.consent["shelter_staff"]:
            result.add(audience.shelter_staff(shelter_id))
        return result


def parts(person_id: Any, reporter_id: Any = None) -> list[sa.Subquery]:
    """Subqueries to outer-join (ON true) into one statement; see `decode`."""
    return [
        people.person_subquery(person_id),
        people.consent_subquery(person_id),
        households.person_households_subquery(person_id, also_member=reporter_id),
    ]


def outer_join_all(subqueries: Sequence[sa.Subquery]) -> sa.Select[Any]:
    """One statement returning the cross product of 0-or-more-row subqueries, and at least
    one row (of NULLs for the empty ones): all of them in one round trip."""
    anchor = sa.select(sa.literal_column("1").label("anchor")).subquery("anchor")
    joined: Any = anchor
    for sub in subqueries:
        joined = joined.outerjoin(sub, sa.true())
    return sa.select(*(column for sub in subqueries for column in sub.c)).select_from(joined)


@functools.cache
def _statement(with_reporter: bool) -> sa.Select[Any]:
    return outer_join_all(parts(sa.bindparam("vis_person"), sa.bindparam("vis_reporter") if with_reporter else None))


async def decode(session: AsyncSession, person_id: str, rows: Sequence[Any]) -> Visibility:
    first = rows[0]
    homes: dict[str, Home] = {}
    for row in rows:
        if row.h_id is not None and row.h_id not in homes:
            homes[row.h_id] = Home(row.h_id, row.h_association_id, bool(getattr(row, "h_shared", False)))
    user_id = first.p_user_id
    if first.p_merged_into is not None:  # a duplicate merged into another record: its account
        survivor = await people.get_person(session, person_id)
        user_id = survivor.user_id if survivor is not None else None
    return Visibility(
        person_id=person_id, found=first.p_id is not None, merged_into=first.p_merged_into,
        user_id=user_id, consent=people.consent_from(first), homes=tuple(homes.values()),
    )


async def of_person(session: AsyncSession, person_id: str, reporter_id: str | None = None) -> Visibility:
    """What decides who sees the person's status (and, with `reporter_id`, which of the
    person's households that reporter shares)."""
    await session.flush()  # Core reads: make this transaction's ORM writes visible first
    params = {"vis_person": person_id}
    if reporter_id is not None:
        params["vis_reporter"] = reporter_id
    rows = (await session.execute(_statement(reporter_id is not None), params)).all()
    return await decode(session, person_id, rows)


async def status_audiences(session: AsyncSession, person_id: str, shelter_id: str | None) -> set[str]:
    return (await of_person(session, person_id)).audiences(shelter_id)
