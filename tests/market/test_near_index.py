"""The near-me index on its own: it keeps up with changes and never goes back in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from backend.market import geo
from backend.market.index import Filters, ListingIndex

NOW = datetime.now(UTC)
HOME = (35.7295, 139.7109)


def row(listing_id: str, seq: int, *, status: str = "OPEN", hidden: bool = False, at: tuple[float, float] = HOME,
        visibility: str = "WARD", association_id: str | None = None, kind: str = "OFFER",
        expires: datetime | None = None) -> Any:
    lat, lon = geo.snap(*at)
    return SimpleNamespace(id=listing_id, cell_lat=lat, cell_lon=lon, kind=kind, category="WATER",
                           visibility=visibility, association_id=association_id, status=status, hidden=hidden,
                           expires_at=expires or NOW + timedelta(days=1), index_seq=seq)


def found(index: ListingIndex, **filters: Any) -> list[str]:
    ids, _ = index.near(*HOME, 2_000, Filters(now=NOW.timestamp(), **filters))
    return ids


def test_claimed_out_withdrawn_hidden_and_expired_listings_leave_the_index() -> None:
    index = ListingIndex()
    index.apply([row("a", 1), row("b", 2), row("c", 3), row("d", 4, expires=NOW - timedelta(seconds=1))])

    index.apply([row("a", 5, status="CLAIMED"), row("b", 6, hidden=True)])

    assert found(index) == ["c"]


def test_an_older_state_never_overwrites_a_newer_one() -> None:
    index = ListingIndex()
    index.apply([row("a", 1)])
    index.apply([row("a", 7, status="WITHDRAWN")])

    index.apply([row("a", 3)])  # a request whose snapshot was older

    assert found(index) == []


def test_association_listings_show_only_to_members_and_kinds_filter() -> None:
    index = ListingIndex()
    index.apply([row("mine", 1, visibility="ASSOCIATION", association_id="x"),
                 row("theirs", 2, visibility="ASSOCIATION", association_id="y"),
                 row("ward", 3, kind="REQUEST")])

    assert sorted(found(index, associations=frozenset({"x"}))) == ["mine", "ward"]
    assert found(index, kind="REQUEST") == ["ward"]


def test_many_listings_are_found_through_the_tree_and_the_tail_alike() -> None:
    index = ListingIndex()
    far = [row(f"far-{i}", i + 1, at=(HOME[0] + 0.1 + i * 1e-4, HOME[1])) for i in range(3_000)]
    index.apply(far)  # enough for a tree
    index.apply([row("near-new", 10_000)])  # in the brute-force tail

    assert found(index) == ["near-new"]
    ids, metres = index.near(HOME[0] + 0.1, HOME[1], 300, Filters(now=NOW.timestamp()))
    assert len(ids) > 0 and all(m <= 300 for m in metres)
