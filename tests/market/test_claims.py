"""Claims: the first commit on the server wins, multi-unit offers split, and the matched
party alone learns how to reach the owner (SYNC.md case 8)."""

from __future__ import annotations

from typing import Any

from backend.core import events
from tests.conftest import Api
from tests.market.neighbours import new_id, offer, push, seen
from tests.support.client import OutboxClient


def claim(device: OutboxClient, listing_id: str, quantity: int = 1) -> tuple[str, str]:
    claim_id = new_id()
    mutation_id = device.enqueue("claimListing", {"id": claim_id, "listingId": listing_id, "quantity": quantity})
    return claim_id, mutation_id


async def test_three_neighbours_claim_offline_and_the_server_order_decides(api: Api) -> None:
    """SYNC.md case 8: they claim in the order A, B, C; they reconnect as C, A, B."""
    owner = await api.device("owner@example.jp", "田中")
    a, b, c = [await api.device(f"{n}@example.jp", n) for n in ("a", "b", "c")]
    listing_id = await offer(owner, title="水 2ケース", quantity=2, contact="3階 301 号室のベル")
    for device in (a, b, c):
        await device.pull_all()  # each saw the offer before the network went down

    claims = {d.user_id: claim(d, listing_id) for d in (a, b, c)}  # acted A, then B, then C
    for device in (c, a, b):  # came back online C, then A, then B
        await device.drain()

    def result(device: OutboxClient) -> dict[str, Any]:
        return device.results[claims[device.user_id][1]]

    assert [result(d)["status"] for d in (c, a)] == ["APPLIED", "APPLIED"]
    assert (result(b)["status"], result(b)["code"]) == ("REJECTED", "ITEM_ALREADY_CLAIMED")
    assert "0 left" in result(b)["message"]
    for device in (owner, a, b, c):
        await device.pull_all()
    assert seen(owner, "Listing")[listing_id]["quantityLeft"] == 0
    assert seen(owner, "Listing")[listing_id]["status"] == "CLAIMED"
    assert sorted(cl["claimerName"] for cl in seen(owner, "Claim").values()) == ["a", "c"]
    assert [cl["contact"] for cl in seen(c, "Claim").values()] == ["3階 301 号室のベル"]
    assert seen(b, "Claim") == {} and "号室" not in str(b.replica)
    assert b.needs_attention[0]["code"] == "ITEM_ALREADY_CLAIMED"


async def test_a_multi_unit_offer_splits_until_it_runs_out_and_losers_learn_what_is_left(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    first, second, third = [await api.device(f"n{i}@example.jp") for i in range(3)]
    listing_id = await offer(owner, quantity=5)

    three = await push(first, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 3})
    too_many = await push(second, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 3})
    two = await push(second, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 2})
    none_left = await push(third, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})

    assert three["status"] == two["status"] == "APPLIED"
    assert (too_many["code"], too_many["message"]) == ("ITEM_ALREADY_CLAIMED", "Already claimed: only 2 of 5 left")
    assert none_left["code"] == "ITEM_ALREADY_CLAIMED" and "0 left" in none_left["message"]


async def test_the_same_person_claiming_again_from_a_second_device_keeps_one_claim(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    token, user_id = await api.user("two-phones@example.jp")
    phone = OutboxClient(api.gql, token, user_id)
    tablet = OutboxClient(api.gql, token, user_id)
    listing_id = await offer(owner, quantity=3)

    on_phone = await push(phone, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})
    on_tablet = await push(tablet, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})
    await owner.pull_all()

    assert on_phone["status"] == on_tablet["status"] == "APPLIED"
    assert on_tablet["entityId"] == on_phone["entityId"] and on_tablet["message"].startswith("Already yours")
    assert seen(owner, "Listing")[listing_id]["quantityLeft"] == 2
    assert len(seen(owner, "Claim")) == 1


async def test_a_replayed_claim_is_applied_once(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    claimer = await api.device("claimer@example.jp")
    listing_id = await offer(owner, quantity=2)
    claim(claimer, listing_id)
    batch = list(claimer.queue)

    first = await claimer.send(batch)
    again = await claimer.send(batch)  # the reply was lost; the outbox sends the batch again

    assert first.body["data"]["push"]["results"][0]["status"] == "APPLIED"
    assert again.body["data"]["push"]["results"][0]["status"] == "DUPLICATE"
    await owner.pull_all()
    assert seen(owner, "Listing")[listing_id]["quantityLeft"] == 1


async def test_owners_cannot_claim_their_own_listing(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    listing_id = await offer(owner)

    result = await push(owner, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})

    assert (result["status"], result["code"]) == ("REJECTED", "FORBIDDEN")


async def test_a_claim_is_handed_over_when_both_sides_confirm(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    claimer = await api.device("claimer@example.jp")
    listing_id = await offer(owner, quantity=1)
    claimed = await push(claimer, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})
    claim_id = claimed["entityId"]

    await push(claimer, "confirmHandover", {"claimId": claim_id})
    await owner.pull_all()
    halfway = seen(owner, "Claim")[claim_id]
    await push(owner, "confirmHandover", {"claimId": claim_id})
    await owner.pull_all()

    assert (halfway["status"], halfway["claimerConfirmed"], halfway["ownerConfirmed"]) == ("CLAIMED", True, False)
    assert seen(owner, "Claim")[claim_id]["status"] == "HANDED_OVER"
    assert seen(owner, "Listing")[listing_id]["status"] == "DONE"


async def test_a_cancelled_claim_gives_the_quantity_back_and_hides_the_contact_again(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    claimer = await api.device("claimer@example.jp")
    later = await api.device("later@example.jp")
    listing_id = await offer(owner, quantity=1, contact="LINE: tanaka")
    claimed = await push(claimer, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})

    cancelled = await push(claimer, "cancelClaim", {"claimId": claimed["entityId"]})
    again = await push(later, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})
    await claimer.pull_all()

    assert cancelled["status"] == again["status"] == "APPLIED"
    mine = seen(claimer, "Claim")[claimed["entityId"]]
    assert mine["status"] == "CANCELLED" and mine["contact"] is None


async def test_a_stranger_can_neither_cancel_nor_confirm_someone_elses_claim(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    claimer = await api.device("claimer@example.jp")
    stranger = await api.device("stranger@example.jp")
    listing_id = await offer(owner)
    claimed = await push(claimer, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})

    cancel = await push(stranger, "cancelClaim", {"claimId": claimed["entityId"]})
    confirm = await push(stranger, "confirmHandover", {"claimId": claimed["entityId"]})

    assert [(r["status"], r["code"]) for r in (cancel, confirm)] == [("REJECTED", "NOT_FOUND")] * 2


async def test_withdrawing_an_offer_cancels_its_claims(api: Api) -> None:
    owner = await api.device("owner@example.jp")
    claimer = await api.device("claimer@example.jp")
    listing_id = await offer(owner, quantity=2)
    claimed = await push(claimer, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})

    await push(owner, "withdrawListing", {"id": listing_id})
    late = await push(claimer, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 1})
    await claimer.pull_all()

    assert seen(claimer, "Claim")[claimed["entityId"]]["status"] == "CANCELLED"
    assert (late["status"], late["code"]) == ("REJECTED", "LISTING_CLOSED")


async def test_a_claim_tells_the_owner_through_a_domain_event(api: Api) -> None:
    heard: list[dict[str, Any]] = []

    async def listen(_session: Any, **payload: Any) -> None:
        heard.append(payload)

    events.subscribe(events.LISTING_CLAIMED, listen)
    try:
        owner = await api.device("owner@example.jp")
        claimer = await api.device("claimer@example.jp")
        listing_id = await offer(owner, quantity=4)
        await push(claimer, "claimListing", {"id": new_id(), "listingId": listing_id, "quantity": 3})
    finally:
        events._HANDLERS[events.LISTING_CLAIMED].remove(listen)

    assert heard[-1]["listing_id"] == listing_id and heard[-1]["quantity"] == 3
    assert (heard[-1]["owner_user_id"], heard[-1]["claimer_user_id"]) == (owner.user_id, claimer.user_id)
