"""Listings expire on their own: no more claims, gone from near me, and EXPIRED on devices."""

from __future__ import annotations

from datetime import timedelta

from backend.core.clock import utcnow
from backend.market import listings
from tests.conftest import Api
from tests.market.neighbours import ServerClock, near, new_id, offer, push, seen


async def _sweep(api: Api) -> int:
    """What `otagai market expire` (run from cron) does."""
    async with api.parts.db.unit_of_work() as uow:
        count = await listings.expire_due(uow.session, now=utcnow())
        await uow.commit()
    return count


async def test_an_expired_listing_takes_no_claims_and_leaves_near_me(api: Api, server_clock: ServerClock) -> None:
    owner = await api.device("owner@example.jp")
    neighbour = await api.device("neighbour@example.jp")
    expires = (server_clock.now + timedelta(hours=2)).isoformat()
    listing_id = await offer(owner, quantity=3, expiresAt=expires)
    assert [n["id"] for n in await near(api, neighbour)] == [listing_id]

    server_clock.advance(timedelta(hours=2, seconds=1))
    late = await push(neighbour, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})

    assert (late["status"], late["code"]) == ("REJECTED", "LISTING_EXPIRED")
    assert await near(api, neighbour) == []


async def test_the_sweep_marks_listings_expired_on_every_device(api: Api, server_clock: ServerClock) -> None:
    owner = await api.device("owner@example.jp")
    neighbour = await api.device("neighbour@example.jp")
    soon = await offer(owner, expiresAt=(server_clock.now + timedelta(hours=1)).isoformat())
    later = await offer(owner, expiresAt=(server_clock.now + timedelta(days=3)).isoformat())

    server_clock.advance(timedelta(hours=1))
    assert await _sweep(api) == 1
    await neighbour.pull_all()

    assert seen(neighbour, "Listing")[soon]["status"] == "EXPIRED"
    assert seen(neighbour, "Listing")[later]["status"] == "OPEN"


async def test_a_matched_claim_outlives_its_listing_for_a_day_then_expires(api: Api, server_clock: ServerClock) -> None:
    owner = await api.device("owner@example.jp")
    claimer = await api.device("claimer@example.jp")
    listing_id = await offer(owner, quantity=2, expiresAt=(server_clock.now + timedelta(hours=1)).isoformat())
    claimed = await push(claimer, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})

    server_clock.advance(timedelta(hours=2))
    await _sweep(api)
    still = await push(owner, "confirmHandover", {"claimId": claimed["entityId"]})
    server_clock.advance(timedelta(days=1))
    await _sweep(api)
    await claimer.pull_all()

    assert still["status"] == "APPLIED"
    assert seen(claimer, "Claim")[claimed["entityId"]]["status"] == "EXPIRED"
    assert seen(claimer, "Listing")[listing_id]["status"] == "EXPIRED"


async def test_a_new_listing_sweeps_expired_ones_on_its_way(api: Api, server_clock: ServerClock) -> None:
    owner = await api.device("owner@example.jp")
    old = await offer(owner, expiresAt=(server_clock.now + timedelta(minutes=30)).isoformat())

    server_clock.advance(timedelta(hours=1))
    await offer(owner, title="新しい")
    await owner.pull_all()

    assert seen(owner, "Listing")[old]["status"] == "EXPIRED"


async def test_listings_run_seven_days_unless_told_and_sixty_at_most(api: Api, server_clock: ServerClock) -> None:
    owner = await api.device("owner@example.jp")
    listing_id = await offer(owner)
    too_long = await push(owner, "createListing", {
        "id": new_id(), "kind": "OFFER", "category": "FOOD", "title": "米",
        "location": {"lat": 35.7, "lon": 139.7}, "expiresAt": (server_clock.now + timedelta(days=61)).isoformat(),
    })
    await owner.pull_all()

    expires = seen(owner, "Listing")[listing_id]["expiresAt"]
    assert expires.startswith((server_clock.now + timedelta(days=7)).date().isoformat())
    assert (too_long["status"], too_long["code"]) == ("REJECTED", "VALIDATION")
