"""End to end: a leader's emergency broadcast, a neighbour's claim and a proxy check-in, sent as
the PWA outbox sends them, reach the right phones through the worker and the fake push service."""

from __future__ import annotations

from tests.board.street import create_post, street
from tests.conftest import Api
from tests.market.neighbours import offer, push
from tests.push.residents import run_until_quiet, subscribe, worker
from tests.safety.community import applied, check_in, new_association, new_household, open_incident
from tests.support.client import OutboxClient
from tests.support.fake_push import FakePushService


async def phone(api: Api, fake: FakePushService, device: OutboxClient, name: str, locale: str = "ja") -> None:
    endpoint, keys = fake.new_device(name)
    result = await subscribe(api, device.token, endpoint, keys.p256dh, keys.auth, locale=locale)
    assert result["__typename"] == "PushSubscription", result


async def test_a_leaders_emergency_broadcast_reaches_the_members_phones(api: Api, fake_push: FakePushService) -> None:
    town = await street(api)
    hanako, tom = await town.resident("hanako@example.jp"), await town.resident("tom@example.jp")
    outsider = await api.device("outsider@example.jp")
    for device, name, locale in ((hanako, "hanako", "ja"), (tom, "tom", "en"), (outsider, "outsider", "ja")):
        await phone(api, fake_push, device, name, locale)

    post_id = await create_post(town.leader, town.association_id, "BROADCAST", title="川が氾濫しています",
                                urgency="EMERGENCY")
    await create_post(town.leader, town.association_id, "BROADCAST", title="夏祭り", urgency="NORMAL")
    await run_until_quiet(worker(api))

    got = sorted((d.device, d.payload["title"], d.payload["url"], d.headers["urgency"])
                 for d in fake_push.delivered if d.payload)
    assert got == [("hanako", "【緊急】川が氾濫しています", f"/#/board?post={post_id}", "high"),
                   ("tom", "Emergency: 川が氾濫しています", f"/#/board?post={post_id}", "high")]


async def test_a_claim_reaches_the_owners_phone(api: Api, fake_push: FakePushService) -> None:
    owner, neighbour = await api.device("owner@example.jp", "田中"), await api.device("n@example.jp", "佐藤")
    await phone(api, fake_push, owner, "owner")
    await phone(api, fake_push, neighbour, "neighbour")
    listing_id = await offer(owner, title="水 2ケース", quantity=2)

    result = await push(neighbour, "claimListing", {"id": "0f0e0d0c-0000-4000-8000-000000000001",
                                                    "listingId": listing_id, "quantity": 1})
    await run_until_quiet(worker(api))

    assert result["status"] == "APPLIED", result
    assert [(d.device, d.payload["url"]) for d in fake_push.delivered if d.payload] == [
        ("owner", f"/#/market?listing={listing_id}")]


async def test_a_check_in_by_a_household_member_reaches_the_person_reported_about(
    api: Api, fake_push: FakePushService
) -> None:
    incident_id = await open_incident(api, name="地震")
    mother, son = await api.device("mother@example.jp"), await api.device("son@example.jp")
    await new_household(api, await new_association(api), "鈴木", mother.user_id, son.user_id)
    await phone(api, fake_push, son, "son", "en")
    await run_until_quiet(worker(api))  # the incident's own push, sent before anyone was subscribed
    fake_push.delivered.clear()

    applied(await check_in(mother, incident_id, "SAFE", subjectId=son.user_id))
    applied(await check_in(mother, incident_id, "SAFE"))  # about herself: no push
    await run_until_quiet(worker(api))

    assert [(d.device, d.payload["title"]) for d in fake_push.delivered if d.payload] == [
        ("son", "Someone reported your safety status")]

