"""Subscribing a device: the VAPID key, one subscription per endpoint, preferences, unsubscribing."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from backend.push import keys
from tests.conftest import Api
from tests.push.residents import push_parts, resident_with_phone, subscribe
from tests.safety.community import new_association, new_household
from tests.support.fake_push import FakePushService


async def test_the_vapid_public_key_is_a_p256_point_made_once_and_kept_in_the_data_dir(
    api: Api, tmp_path: Path
) -> None:
    served = (await api.gql.data("VapidPublicKey"))["vapidPublicKey"]

    point = base64.urlsafe_b64decode(served + "=" * (-len(served) % 4))
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)  # raises if not on the curve
    assert len(point) == 65 and point[0] == 4
    assert (tmp_path / keys.KEY_FILE).stat().st_mode & 0o077 == 0
    assert keys.load_or_create(tmp_path).application_server_key == served  # a restart keeps it


async def test_subscribing_twice_from_one_device_keeps_one_subscription_with_the_new_choices(
    api: Api, fake_push: FakePushService
) -> None:
    token, _ = await api.user("hanako@example.jp")
    endpoint, device = fake_push.new_device("hanako")

    first = await subscribe(api, token, endpoint, device.p256dh, device.auth)
    again = await subscribe(api, token, endpoint, device.p256dh, device.auth, locale="ja-easy", preferences={
        "categories": ["CIRCULAR"], "quietHours": {"start": "22:00", "end": "06:30"},
    })

    assert first["__typename"] == again["__typename"] == "PushSubscription"
    assert again["id"] == first["id"]
    assert (again["locale"], again["categories"], again["quietHours"]) == (
        "ja-easy", ["EMERGENCY", "CIRCULAR"], {"start": "22:00", "end": "06:30", "timeZone": "Asia/Tokyo"},
    )
    assert first["categories"] == ["EMERGENCY", "IMPORTANT", "CIRCULAR", "INCIDENT", "MARKET", "SAFETY"]


async def test_a_resident_chooses_only_associations_they_belong_to(api: Api, fake_push: FakePushService) -> None:
    token, user_id = await api.user("tom@example.jp", "Tom")
    mine, other = await new_association(api, "本町一丁目町会"), await new_association(api, "本町二丁目町会")
    await new_household(api, mine, "Baker", user_id)
    endpoint, device = fake_push.new_device("tom")

    chosen = await subscribe(api, token, endpoint, device.p256dh, device.auth, preferences={"associationIds": [mine]})
    refused = await subscribe(api, token, endpoint, device.p256dh, device.auth,
                              preferences={"associationIds": [mine, other]})

    assert chosen["associationIds"] == [mine]
    assert (refused["__typename"], refused["code"]) == ("PushError", "VALIDATION")


async def test_bad_keys_locales_and_quiet_hours_are_refused_with_their_codes(
    api: Api, fake_push: FakePushService
) -> None:
    token, _ = await api.user("linh@example.jp")
    endpoint, device = fake_push.new_device("linh")

    bad_key = await subscribe(api, token, endpoint, "not base64!", device.auth)
    bad_locale = await subscribe(api, token, endpoint, device.p256dh, device.auth, locale="xx")
    bad_hours = await subscribe(api, token, endpoint, device.p256dh, device.auth,
                                preferences={"quietHours": {"start": "25:00", "end": "06:00"}})

    assert [r["code"] for r in (bad_key, bad_locale, bad_hours)] == ["VALIDATION"] * 3


async def test_unsubscribing_stops_the_device_and_only_its_owner_can(api: Api, fake_push: FakePushService) -> None:
    token, _, device = await resident_with_phone(api, fake_push, "hanako@example.jp")
    other_token, _ = await api.user("someone@example.jp")
    endpoint = f"{fake_push.base}/push/{device}"

    by_other = (await api.gql.data("UnsubscribePush", {"endpoint": endpoint}, other_token))["unsubscribePush"]
    by_owner = (await api.gql.data("UnsubscribePush", {"endpoint": endpoint}, token))["unsubscribePush"]
    twice = (await api.gql.data("UnsubscribePush", {"endpoint": endpoint}, token))["unsubscribePush"]

    assert (by_other["removed"], by_owner["removed"], twice["removed"]) == (False, True, False)


async def test_the_settings_screen_reads_its_devices_choices_and_nobody_elses(
    api: Api, fake_push: FakePushService
) -> None:
    token, _, device = await resident_with_phone(api, fake_push, "hanako@example.jp", locale="en", preferences={
        "categories": ["MARKET"], "quietHours": {"start": "23:00", "end": "06:00"}})
    other_token, _ = await api.user("someone@example.jp")
    endpoint = f"{fake_push.base}/push/{device}"

    mine = (await api.gql.data("PushSubscription", {"endpoint": endpoint}, token))["pushSubscription"]
    theirs = (await api.gql.data("PushSubscription", {"endpoint": endpoint}, other_token))["pushSubscription"]

    assert (mine["locale"], mine["categories"], mine["associationIds"], mine["quietHours"]["start"]) == (
        "en", ["EMERGENCY", "MARKET"], None, "23:00")
    assert theirs is None


async def test_subscribing_needs_a_signed_in_user(api: Api, fake_push: FakePushService) -> None:
    endpoint, device = fake_push.new_device("anon")

    reply = await api.gql.execute("SubscribePush", {"input": {
        "endpoint": endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}})

    assert reply.status == 401 or reply.body["data"] is None
    assert push_parts(api).keys.application_server_key
