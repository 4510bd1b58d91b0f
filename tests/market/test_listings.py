"""Listings: what a neighbour posts, who sees it, and how the owner changes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.conftest import Api
from tests.market.neighbours import (
    HOME,
    join,
    listing_args,
    near,
    new_association,
    offer,
    push,
    seen,
)


async def test_an_offer_made_offline_is_listed_near_a_neighbour_with_a_rounded_distance(api: Api) -> None:
    owner = await api.device("owner@example.jp", "田中")
    neighbour = await api.device("neighbour@example.jp", "鈴木")

    listing_id = await offer(owner, title="水 2ケース", quantity=2)
    nodes = await near(api, neighbour, radiusMeters=1000)

    assert [n["id"] for n in nodes] == [listing_id]
    node = nodes[0]
    assert (node["kind"], node["category"], node["quantity"], node["quantityLeft"]) == ("OFFER", "WATER", 2, 2)
    assert node["distanceMeters"] % 100 == 0 and 300 <= node["distanceMeters"] <= 1000
    assert node["ownerName"] == "田中" and node["isMine"] is False


async def test_listings_come_nearest_first_and_filter_by_kind_category_and_radius(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    viewer = await api.device("viewer@example.jp")
    far = await offer(owner, title="遠い", at=(HOME[0] + 0.02, HOME[1]))
    close = await offer(owner, title="近い", at=HOME)
    request = await offer(owner, kind="REQUEST", category="MEDICINE", title="薬", at=(HOME[0] + 0.005, HOME[1]))

    everything = await near(api, viewer, at=HOME, radiusMeters=5000)
    offers = await near(api, viewer, at=HOME, radiusMeters=5000, kind="OFFER")
    medicine = await near(api, viewer, at=HOME, radiusMeters=5000, category="MEDICINE")
    small = await near(api, viewer, at=HOME, radiusMeters=1000)

    assert [n["id"] for n in everything] == [close, request, far]
    assert [n["id"] for n in offers] == [close, far]
    assert [n["id"] for n in medicine] == [request]
    assert [n["id"] for n in small] == [close, request]


async def test_pages_follow_each_other_without_gaps(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    viewer = await api.device("viewer@example.jp")
    made = [await offer(owner, title=f"品 {i}", at=(HOME[0] + i * 0.003, HOME[1])) for i in range(5)]

    first = await api.gql.data("Listings", {"near": {"lat": HOME[0], "lon": HOME[1]}, "radiusMeters": 5000,
                                            "first": 2}, viewer.token)
    cursor = first["listings"]["pageInfo"]["endCursor"]
    rest = await api.gql.data("Listings", {"near": {"lat": HOME[0], "lon": HOME[1]}, "radiusMeters": 5000,
                                           "first": 10, "after": cursor}, viewer.token)

    ids = [e["node"]["id"] for e in first["listings"]["edges"] + rest["listings"]["edges"]]
    assert ids == made
    assert first["listings"]["pageInfo"]["hasNextPage"] is True
    assert rest["listings"]["pageInfo"]["hasNextPage"] is False


async def test_an_association_listing_is_seen_by_members_only_and_marked_as_theirs(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    member = await api.device("member@example.jp")
    outsider = await api.device("outsider@example.jp")
    association_id = await new_association(api)
    await join(api, association_id, owner.user_id, member.user_id)

    listing_id = await offer(owner, visibility="ASSOCIATION")
    ward_id = await offer(owner, title="区全体")
    for device in (member, outsider):
        await device.pull_all()

    member_sees = await near(api, member)
    assert {n["id"]: n["sameAssociation"] for n in member_sees} == {listing_id: True, ward_id: True}
    assert [n["id"] for n in await near(api, outsider)] == [ward_id]
    assert (await near(api, outsider))[0]["sameAssociation"] is False
    assert set(seen(member, "Listing")) == {listing_id, ward_id}
    assert set(seen(outsider, "Listing")) == {ward_id}
    assert seen(member, "Listing")[listing_id]["associationId"] == association_id


async def test_an_association_listing_needs_membership(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    association_id = await new_association(api)

    outside = await push(owner, "createListing", listing_args(visibility="ASSOCIATION"))
    named = await push(owner, "createListing", listing_args(associationId=association_id))

    assert (outside["status"], outside["code"]) == ("REJECTED", "VALIDATION")
    assert (named["status"], named["code"]) == ("REJECTED", "FORBIDDEN")


async def test_bad_listings_are_rejected_with_validation(api: Api) -> None:
    owner = await api.device("owner@example.jp")

    results = [
        await push(owner, "createListing", listing_args(title="  ")),
        await push(owner, "createListing", listing_args(quantity=0)),
        await push(owner, "createListing", listing_args(at=(91.0, 139.0))),
        await push(owner, "createListing", listing_args(listing_id="not-a-uuid")),
        await push(owner, "createListing", listing_args(expiresAt="2020-01-01T00:00:00+00:00")),
    ]

    assert [(r["status"], r["code"]) for r in results] == [("REJECTED", "VALIDATION")] * 5


async def test_the_pulled_listing_is_camel_case_and_carries_no_exact_position_or_contact(api: Api) -> None:
    owner = await api.device("owner@example.jp", "田中")
    neighbour = await api.device("neighbour@example.jp")
    listing_id = await offer(owner, contact="090-1234-5678 ベルを鳴らしてください", body="玄関前に置きます")

    await neighbour.pull_all()
    data = seen(neighbour, "Listing")[listing_id]

    assert data["quantityLeft"] == 1 and data["ownerName"] == "田中" and data["status"] == "OPEN"
    assert (data["lat"], data["lon"]) != HOME
    assert "ベルを鳴らして" not in str(data) and "contact" not in data
    assert not {"exactLat", "exactLon", "exact_lat"} & set(data)


async def test_edits_to_different_fields_merge_and_the_same_field_keeps_the_later_edit(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    listing_id = await offer(owner, title="水", quantity=2)

    phone = await push(owner, "updateListing", {"id": listing_id, "baseVersion": 1, "title": "水 2L×6本"})
    laptop = await push(owner, "updateListing", {"id": listing_id, "baseVersion": 1, "body": "玄関前"})
    late = await push(owner, "updateListing", {"id": listing_id, "baseVersion": 1, "title": "水 (古い版)"})
    await owner.pull_all()

    assert (phone["status"], phone["version"]) == ("APPLIED", 2)
    assert laptop["status"] == "CONFLICT_RESOLVED"
    assert late["status"] == "CONFLICT_RESOLVED" and "title" in late["message"]
    data = seen(owner, "Listing")[listing_id]
    assert (data["title"], data["body"]) == ("水 (古い版)", "玄関前")


async def test_only_the_owner_edits_and_withdrawing_wins_over_a_later_edit(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    other = await api.device("other@example.jp")
    listing_id = await offer(owner)

    stranger = await push(other, "updateListing", {"id": listing_id, "baseVersion": 1, "title": "乗っ取り"})
    withdrawn = await push(owner, "withdrawListing", {"id": listing_id})
    edit = await push(owner, "updateListing", {"id": listing_id, "baseVersion": 1, "title": "再開"})

    assert (stranger["status"], stranger["code"]) == ("REJECTED", "FORBIDDEN")
    assert withdrawn["status"] == "APPLIED"
    assert (edit["status"], edit["code"]) == ("REJECTED", "LISTING_CLOSED")
    assert await near(api, other) == []


async def test_suggested_matches_pair_requests_with_offers_that_cover_them_first(api: Api) -> None:
    asker = await api.device("asker@example.jp")
    giver = await api.device("giver@example.jp")
    request = await offer(asker, kind="REQUEST", quantity=3, title="水が欲しい")
    small = await offer(giver, quantity=1, title="水 1", at=HOME)
    big = await offer(giver, quantity=5, title="水 5", at=(HOME[0] + 0.004, HOME[1]))
    await offer(giver, category="FOOD", title="パン", at=HOME)

    data = await api.gql.data("ListingMatches", {"listingId": request, "radiusMeters": 3000}, asker.token)

    assert [e["node"]["id"] for e in data["listingMatches"]["edges"]] == [big, small]


async def test_a_page_of_listings_costs_the_same_few_queries_however_long_it_is(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    viewer = await api.device("viewer@example.jp")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engines = {api.parts.db.read_engine.sync_engine, api.parts.db.write_engine.sync_engine}
    await offer(owner)
    await near(api, viewer)  # builds the index
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        await near(api, viewer)
        short = len(statements)
        for i in range(15):
            await offer(owner, title=f"品 {i}")
        statements.clear()
        assert len(await near(api, viewer, first=20)) == 16
        long = len(statements)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)

    assert long == short + 1  # the index catching up on the new listings, once
