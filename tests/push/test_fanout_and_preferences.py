"""Who gets which push: association members, the owner of a listing, the person reported about,
everyone for an incident — in their language, with their categories and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.core import events
from tests.conftest import Api
from tests.push.residents import (
    delivery_counts,
    emit,
    resident_with_phone,
    run_until_quiet,
    subscribe,
    worker,
)
from tests.safety.community import ServerClock, new_association, new_household, open_incident
from tests.support.fake_push import FakePushService


async def neighbourhood(api: Api, fake: FakePushService) -> tuple[str, str, dict[str, str]]:
    """Two associations; hanako (ja), tom (en) and linh (ja-easy) in the first, ken in the second."""
    first, second = await new_association(api, "本町一丁目町会"), await new_association(api, "本町二丁目町会")
    users = {}
    for email, locale, association in [("hanako@example.jp", "ja", first), ("tom@example.jp", "en", first),
                                       ("linh@example.jp", "ja-easy", first), ("ken@example.jp", "ja", second)]:
        _, user_id, device = await resident_with_phone(api, fake, email, locale=locale)
        await new_household(api, association, device, user_id)
        users[device] = user_id
    return first, second, users


async def test_an_emergency_broadcast_reaches_each_members_phone_once_in_their_language(
    api: Api, fake_push: FakePushService
) -> None:
    first, _, _ = await neighbourhood(api, fake_push)

    await emit(api, events.BROADCAST_PUBLISHED, post_id="p-1", association_id=first, urgency="EMERGENCY",
               title="避難指示が出ました")
    await run_until_quiet(worker(api))

    titles = {d.device: d.payload["title"] for d in fake_push.delivered if d.payload}
    assert titles == {"hanako": "【緊急】避難指示が出ました", "tom": "Emergency: 避難指示が出ました",
                      "linh": "【きんきゅう】避難指示が出ました"}
    assert all(d.headers["urgency"] == "high" and d.headers["ttl"] == "86400" for d in fake_push.delivered)
    assert len({d.headers["topic"] for d in fake_push.delivered}) == 1
    assert {d.payload["tag"] for d in fake_push.delivered if d.payload} == {"post:p-1"}
    assert await delivery_counts(api) == {"sent": 3}


async def test_a_normal_broadcast_sends_nothing_and_a_circular_goes_to_those_who_want_circulars(
    api: Api, fake_push: FakePushService
) -> None:
    first, _, _ = await neighbourhood(api, fake_push)
    _, user_id, _ = await resident_with_phone(api, fake_push, "quiet@example.jp",
                                              preferences={"categories": ["IMPORTANT"]})
    await new_household(api, first, "quiet", user_id)

    await emit(api, events.BROADCAST_PUBLISHED, post_id="p-1", association_id=first, urgency="NORMAL", title="祭り")
    await emit(api, events.CIRCULAR_PUBLISHED, post_id="p-2", association_id=first, title="清掃のお知らせ")
    await emit(api, events.BROADCAST_PUBLISHED, post_id="p-3", association_id=first, urgency="EMERGENCY", title="火災")
    await run_until_quiet(worker(api))

    got = sorted((d.device, d.payload["tag"]) for d in fake_push.delivered if d.payload)
    assert got == sorted([(name, "post:p-2") for name in ("hanako", "tom", "linh")]
                         + [(name, "post:p-3") for name in ("hanako", "tom", "linh", "quiet")])
    circular = next(d for d in fake_push.delivered if d.device == "tom" and d.payload and d.payload["tag"] == "post:p-2")
    assert circular.headers["urgency"] == "normal" and circular.payload is not None
    assert circular.payload["title"] == "Circular: 清掃のお知らせ"


async def test_a_resident_in_two_associations_hears_only_from_the_one_they_chose(
    api: Api, fake_push: FakePushService
) -> None:
    first, second, _ = await neighbourhood(api, fake_push)
    token, user_id = await api.user("both@example.jp")
    await new_household(api, first, "both-1", user_id)
    await new_household(api, second, "both-2", user_id)
    endpoint, keys = fake_push.new_device("both")
    await subscribe(api, token, endpoint, keys.p256dh, keys.auth, preferences={"associationIds": [second]})

    await emit(api, events.CIRCULAR_PUBLISHED, post_id="c-1", association_id=first, title="一丁目")
    await emit(api, events.CIRCULAR_PUBLISHED, post_id="c-2", association_id=second, title="二丁目")
    await run_until_quiet(worker(api))

    assert sorted(d.payload["tag"] for d in fake_push.delivered if d.device == "both" and d.payload) == ["post:c-2"]


async def test_quiet_hours_hold_a_circular_until_morning_but_not_an_emergency(
    api: Api, fake_push: FakePushService, server_clock: ServerClock
) -> None:
    server_clock.now = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
    association = await new_association(api)
    _, user_id, _ = await resident_with_phone(api, fake_push, "sleepy@example.jp", preferences={
        "quietHours": {"start": "22:00", "end": "07:00", "timeZone": "Asia/Tokyo"}})
    await new_household(api, association, "sleepy", user_id)

    await emit(api, events.CIRCULAR_PUBLISHED, post_id="c-1", association_id=association, title="回覧")
    await emit(api, events.BROADCAST_PUBLISHED, post_id="e-1", association_id=association, urgency="EMERGENCY",
               title="地震")
    await run_until_quiet(worker(api))
    at_night = [d.payload["tag"] for d in fake_push.delivered if d.payload]
    server_clock.advance(timedelta(hours=8, minutes=1))  # 07:01 in Tokyo
    await run_until_quiet(worker(api))

    assert at_night == ["post:e-1"]
    assert [d.payload["tag"] for d in fake_push.delivered if d.payload] == ["post:e-1", "post:c-1"]


async def test_an_opened_incident_reaches_every_subscribed_phone(api: Api, fake_push: FakePushService) -> None:
    await neighbourhood(api, fake_push)
    await resident_with_phone(api, fake_push, "nobody@example.jp")  # in no association

    await open_incident(api, name="首都直下地震")
    await run_until_quiet(worker(api))

    assert sorted(d.device for d in fake_push.delivered) == ["hanako", "ken", "linh", "nobody", "tom"]
    assert {d.payload["title"] for d in fake_push.delivered if d.payload and d.device == "tom"} == {
        "Disaster: 首都直下地震"}


async def test_a_claim_reaches_the_listing_owner_and_a_proxy_check_in_the_person_reported_about(
    api: Api, fake_push: FakePushService
) -> None:
    _, _, users = await neighbourhood(api, fake_push)

    await emit(api, events.LISTING_CLAIMED, listing_id="l-1", owner_user_id=users["tom"],
               claimer_user_id=users["hanako"], quantity=2)
    await emit(api, events.CHECKIN_BY_PROXY, checkin_id="k-1", incident_id="i-1", subject_id=users["linh"],
               reporter_id=users["hanako"], condition="SAFE")
    await emit(api, events.CHECKIN_BY_PROXY, checkin_id="k-2", incident_id="i-1", subject_id="no-phone-person",
               reporter_id=users["hanako"], condition="SAFE")
    await run_until_quiet(worker(api))

    got = {d.device: (d.payload["title"], d.payload["body"], d.payload["url"]) for d in fake_push.delivered
           if d.payload}
    assert got == {
        "tom": ("Someone claimed your listing", "Quantity 2. Open the app to arrange it.", "/#/market?listing=l-1"),
        "linh": ("ほかの ひとが あなたの ようすを しらせました",
                 "ようす: ぶじ。ちがう ときは アプリで なおして ください。", "/#/checkin"),
    }


async def test_an_emergency_goes_out_before_a_circular_still_queued_for_the_same_phones(
    api: Api, fake_push: FakePushService
) -> None:
    first, _, _ = await neighbourhood(api, fake_push)
    w = worker(api, batch=3)  # a batch is one phone per member of the association
    await emit(api, events.CIRCULAR_PUBLISHED, post_id="p-1", association_id=first, title="清掃のお知らせ")
    while await w.expand_once():  # the circular's deliveries are all queued, none sent
        pass
    await emit(api, events.BROADCAST_PUBLISHED, post_id="p-2", association_id=first, urgency="EMERGENCY",
               title="避難指示が出ました")
    while await w.expand_once():
        pass

    await w.deliver_once()

    assert sorted((d.device, d.payload["tag"]) for d in fake_push.delivered if d.payload) == [
        ("hanako", "post:p-2"), ("linh", "post:p-2"), ("tom", "post:p-2")]
    await run_until_quiet(w)
    assert [d.payload["tag"] for d in fake_push.delivered if d.payload][3:] == ["post:p-1"] * 3


async def test_an_emergency_is_expanded_before_a_circular_published_earlier(
    api: Api, fake_push: FakePushService
) -> None:
    first, _, _ = await neighbourhood(api, fake_push)
    w = worker(api, batch=3)
    await emit(api, events.CIRCULAR_PUBLISHED, post_id="p-1", association_id=first, title="清掃のお知らせ")
    await emit(api, events.BROADCAST_PUBLISHED, post_id="p-2", association_id=first, urgency="EMERGENCY",
               title="避難指示が出ました")

    for _ in range(2):  # one fan-out at a time, the emergency's: its members, then its deliveries
        await w.expand_once()
    await w.deliver_once()

    assert {d.payload["tag"] for d in fake_push.delivered if d.payload} == {"post:p-2"}
    await run_until_quiet(w)
    assert await delivery_counts(api) == {"sent": 6}
