"""The near-me index: every listing's cell position in memory, in a shapely STRtree.

One index per database in each process. It is brought up to date at the start of each
query from the listings whose `index_seq` is above what it has seen: `index_seq` is drawn
from a counter row that stays locked until its transaction commits (as the change feed's
counter does), so numbers become visible in order and none is skipped. Positions never
change, so a listing is appended once; later changes (claimed out, withdrawn, hidden) only
flip its flags. New listings since the last tree build are searched by brute force until
there are enough of them to be worth rebuilding the tree.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from shapely import STRtree, box, points
from sqlalchemy.ext.asyncio import AsyncSession

from backend.market import geo
from backend.market.models import IndexState, Listing
from backend.market.rules import CATEGORIES, KINDS, OPEN, WARD

_LISTING: sa.Table = Listing.__table__  # type: ignore[attr-defined]
_STATE: sa.Table = IndexState.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    _LISTING.c.id, _LISTING.c.cell_lat, _LISTING.c.cell_lon, _LISTING.c.kind, _LISTING.c.category,
    _LISTING.c.visibility, _LISTING.c.association_id, _LISTING.c.status, _LISTING.c.hidden,
    _LISTING.c.expires_at, _LISTING.c.index_seq,
)


async def next_index_seq(session: AsyncSession) -> int:
    """A new number for a listing whose indexed state changes (locks the counter row)."""
    value = await session.scalar(
        sa.update(_STATE).where(_STATE.c.id == 1)
        .values(generation=_STATE.c.generation + 1).returning(_STATE.c.generation)
    )
    assert value is not None, "market_index_state row missing"
    return int(value)


_SLICE = 10_000
_KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}
_CATEGORY_CODES = {category: code for code, category in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class Filters:
    now: float
    kind: str | None = None
    category: str | None = None
    associations: frozenset[str] = frozenset()


class ListingIndex:
    def __init__(self) -> None:
        self.high_water = -1
        self.size = 0
        self._pos: dict[str, int] = {}
        self._assoc_codes: dict[str, int] = {}
        self._ids = np.empty(0, dtype=object)
        self._lat = np.empty(0)
        self._lon = np.empty(0)
        self._expires = np.empty(0)
        self._seq = np.empty(0, dtype=np.int64)
        self._kind = np.empty(0, dtype=np.int8)
        self._category = np.empty(0, dtype=np.int8)
        self._assoc = np.empty(0, dtype=np.int32)
        self._ward = np.empty(0, dtype=bool)
        self._active = np.empty(0, dtype=bool)
        self._tree: STRtree | None = None
        self._tree_size = 0
        self._first_load: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    # -- keeping up with the database ----------------------------------------------------
    async def refresh(self, session: AsyncSession) -> None:
        if self.high_water < 0:  # the first load (100,000 rows, about a second): once, not per request
            loop = asyncio.get_running_loop()
            if self._first_load is None or self._first_load[0] is not loop:
                self._first_load = (loop, asyncio.Lock())
            async with self._first_load[1]:
                if self.high_water < 0:
                    await self._catch_up(session)
                    return
        await self._catch_up(session)

    async def _catch_up(self, session: AsyncSession) -> None:
        found = await session.scalar(sa.select(_STATE.c.generation).where(_STATE.c.id == 1))
        generation = int(found or 0)
        if generation == self.high_water:
            return
        if self.high_water < 0:  # first use: every listing that can be shown
            stmt = sa.select(*_COLUMNS).where(_LISTING.c.status == OPEN, _LISTING.c.hidden.is_(False))
        else:
            stmt = sa.select(*_COLUMNS).where(_LISTING.c.index_seq > self.high_water)
        # In slices, so that the first load never holds 100,000 result rows at once.
        result = await session.stream(stmt.execution_options(yield_per=_SLICE))
        async for rows in result.partitions(_SLICE):
            self.apply(rows, build=False)
        self._build_if_due()
        # A snapshot older than the index (a concurrent request) must not move it back.
        self.high_water = max(self.high_water, generation)

    def apply(self, rows: Sequence[Any], *, build: bool = True) -> None:
        fresh = [r for r in rows if r.id not in self._pos]
        if fresh:
            self._append(fresh)
        for row in rows:
            index = self._pos[row.id]
            if row.index_seq <= self._seq[index]:
                continue  # the state held is as new or newer
            self._seq[index] = row.index_seq
            self._active[index] = row.status == OPEN and not row.hidden
            self._expires[index] = row.expires_at.timestamp()
        if build:
            self._build_if_due()

    def _build_if_due(self) -> None:
        if self.size - self._tree_size > max(2_000, self._tree_size // 10):
            self._build_tree()

    def _append(self, rows: list[Any]) -> None:
        """New listings, column by column (100,000 at the first query of a process)."""
        start, count = self.size, len(rows)
        self._grow(start + count)
        part = slice(start, start + count)
        self._ids[part] = [r.id for r in rows]
        self._lat[part] = [r.cell_lat for r in rows]
        self._lon[part] = [r.cell_lon for r in rows]
        self._kind[part] = [_KIND_CODES[r.kind] for r in rows]
        self._category[part] = [_CATEGORY_CODES[r.category] for r in rows]
        self._ward[part] = [r.visibility == WARD for r in rows]
        self._assoc[part] = [self._code(r.association_id) for r in rows]
        self._seq[part] = -1  # below any real number: the loop in apply() sets the state
        self._pos.update((r.id, start + n) for n, r in enumerate(rows))
        self.size += count

    def _code(self, association_id: str | None) -> int:
        if association_id is None:
            return -1
        return self._assoc_codes.setdefault(association_id, len(self._assoc_codes))

    def _grow(self, needed: int) -> None:
        capacity = len(self._lat)
        if needed <= capacity:
            return
        capacity = max(needed, capacity * 2, 1024)
        for name in ("_ids", "_lat", "_lon", "_expires", "_seq", "_kind", "_category", "_assoc",
                     "_ward", "_active"):
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def _build_tree(self) -> None:
        coords = np.column_stack((self._lon[: self.size], self._lat[: self.size]))
        self._tree = STRtree(points(coords))
        self._tree_size = self.size

    # -- searching ------------------------------------------------------------------------
    def near(
        self, lat: float, lon: float, radius_m: float, filters: Filters
    ) -> tuple[list[str], NDArray[np.float64]]:
        """Ids and cell distances of the visible listings within radius_m, nearest first."""
        min_lon, min_lat, max_lon, max_lat = geo.bounding_box(lat, lon, radius_m)
        parts = []
        if self._tree is not None:
            parts.append(np.asarray(self._tree.query(box(min_lon, min_lat, max_lon, max_lat)), dtype=np.int64))
        tail = np.arange(self._tree_size, self.size, dtype=np.int64)
        if len(tail):
            la, lo = self._lat[tail], self._lon[tail]
            parts.append(tail[(la >= min_lat) & (la <= max_lat) & (lo >= min_lon) & (lo <= max_lon)])
        found = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        mask = self._active[found] & (self._expires[found] > filters.now)
        if filters.kind is not None:
            mask &= self._kind[found] == _KIND_CODES[filters.kind]
        if filters.category is not None:
            mask &= self._category[found] == _CATEGORY_CODES[filters.category]
        codes = [self._assoc_codes[a] for a in filters.associations if a in self._assoc_codes]
        mask &= self._ward[found] | np.isin(self._assoc[found], codes)
        found = found[mask]
        metres = geo.distances_m(lat, lon, self._lat[found], self._lon[found])
        within = metres <= radius_m
        found, metres = found[within], metres[within]
        ids = self._ids[found]
        order = np.lexsort((ids.astype(str), metres)) if len(found) else np.empty(0, dtype=np.int64)
        return [str(i) for i in ids[order]], metres[order]


_INDEXES: dict[str, ListingIndex] = {}


def index_for(session: AsyncSession) -> ListingIndex:
    """The process's index of the database this session talks to."""
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    index = _INDEXES.get(key)
    if index is None:
        index = _INDEXES[key] = ListingIndex()
    return index


def is_finite_radius(radius_m: float) -> bool:
    return math.isfinite(radius_m) and radius_m > 0
