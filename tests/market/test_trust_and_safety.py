"""Trust and safety: reports reach moderators, leaders hide their association's listings,
ward admins any, nobody else; rate limits hold unless OTAGAI_RATE_LIMITS=off."""

from __future__ import annotations

import pytest

from backend.accounts.roles import Role
from backend.market import limits
from tests.conftest import Api
from tests.market.neighbours import (
    grant,
    join,
    listing_args,
    near,
    new_association,
    new_id,
    offer,
    push,
    seen,
)
from tests.support.client import OutboxClient


async def _community(api: Api) -> tuple[str, OutboxClient, OutboxClient, OutboxClient]:
    association_id = await new_association(api)
    owner = await api.device("owner@example.jp")
    leader = await api.device("leader@example.jp", "会長")
    neighbour = await api.device("neighbour@example.jp")
    await join(api, association_id, owner.user_id, leader.user_id, neighbour.user_id)
    await grant(api, leader.user_id, Role.LEADER, association_id)
    return association_id, owner, leader, neighbour


async def test_a_report_reaches_the_leaders_and_ward_admins_but_not_other_residents(api: Api) -> None:
    _, owner, leader, neighbour = await _community(api)
    admin = await api.device("admin@example.jp")
    await grant(api, admin.user_id, Role.WARD_ADMIN)
    listing_id = await offer(owner, title="怪しい出品")

    reported = await push(neighbour, "reportListing", {"listingId": listing_id, "reason": "詐欺の疑い"})
    again = await push(neighbour, "reportListing", {"listingId": listing_id, "reason": "二回目"})
    for device in (leader, admin, neighbour):
        await device.pull_all()

    assert reported["status"] == again["status"] == "APPLIED"
    assert [r["reason"] for r in seen(leader, "ListingReport").values()] == ["詐欺の疑い"]
    assert [r["reportCount"] for r in seen(admin, "ListingReport").values()] == [1]
    assert seen(neighbour, "ListingReport") == {}


async def test_a_leader_hides_a_listing_of_their_association_and_it_leaves_everyones_view(api: Api) -> None:
    _, owner, leader, neighbour = await _community(api)
    listing_id = await offer(owner)
    await neighbour.pull_all()

    hidden = await api.gql.data("HideListing", {"id": listing_id}, leader.token)
    await neighbour.pull_all()
    await owner.pull_all()

    assert hidden["hideListing"]["__typename"] == "Listing"
    assert listing_id not in seen(neighbour, "Listing")
    assert await near(api, neighbour) == []
    assert seen(owner, "Listing")[listing_id]["hidden"] is True
    claim = await push(neighbour, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})
    assert (claim["status"], claim["code"]) == ("REJECTED", "NOT_FOUND")

    shown = await api.gql.data("UnhideListing", {"id": listing_id}, leader.token)
    await neighbour.pull_all()
    assert shown["unhideListing"]["__typename"] == "Listing"
    assert listing_id in seen(neighbour, "Listing")


async def test_residents_and_leaders_of_other_associations_cannot_hide(api: Api) -> None:
    _, owner, _, neighbour = await _community(api)
    other_association = await new_association(api, "本町二丁目町会")
    other_leader = await api.device("other-leader@example.jp")
    await grant(api, other_leader.user_id, Role.LEADER, other_association)
    listing_id = await offer(owner)

    by_resident = await api.gql.data("HideListing", {"id": listing_id}, neighbour.token)
    by_other_leader = await api.gql.data("HideListing", {"id": listing_id}, other_leader.token)

    assert by_resident["hideListing"] == {"__typename": "MarketError", "code": "FORBIDDEN",
                                          "message": by_resident["hideListing"]["message"]}
    assert by_other_leader["hideListing"]["code"] == "FORBIDDEN"


async def test_a_ward_admin_hides_any_listing_ward_wide(api: Api) -> None:
    loner = await api.device("loner@example.jp")  # in no association
    admin = await api.device("admin@example.jp")
    await grant(api, admin.user_id, Role.WARD_ADMIN)
    listing_id = await offer(loner)

    hidden = await api.gql.data("HideListing", {"id": listing_id}, admin.token)

    assert hidden["hideListing"]["__typename"] == "Listing"


async def test_the_market_needs_sign_in(api: Api) -> None:
    reply = await api.gql.execute("Listings", {"near": {"lat": 35.7, "lon": 139.7}})

    assert reply.status == 401


async def test_association_listings_cannot_be_claimed_or_reported_by_outsiders(api: Api) -> None:
    _, owner, _, _ = await _community(api)
    outsider = await api.device("outsider@example.jp")
    listing_id = await offer(owner, visibility="ASSOCIATION")

    claim = await push(outsider, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})
    report = await push(outsider, "reportListing", {"listingId": listing_id, "reason": "?"})
    matches = await api.gql.execute("ListingMatches", {"listingId": listing_id}, outsider.token)

    assert [(r["status"], r["code"]) for r in (claim, report)] == [("REJECTED", "NOT_FOUND")] * 2
    assert matches.body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_one_person_posts_at_most_twenty_listings_an_hour(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTAGAI_RATE_LIMITS", raising=False)
    owner = await api.device("busy@example.jp")
    for _ in range(limits.LISTINGS_PER_HOUR):
        owner.enqueue("createListing", listing_args())
    await owner.drain()

    over = await push(owner, "createListing", listing_args())
    monkeypatch.setenv("OTAGAI_RATE_LIMITS", "off")
    drill = await push(owner, "createListing", listing_args())

    assert len([r for r in owner.results.values() if r["status"] == "APPLIED"]) == limits.LISTINGS_PER_HOUR + 1
    assert (over["status"], over["code"]) == ("REJECTED", "RATE_LIMITED")
    assert drill["status"] == "APPLIED"
