"""SSRF: the server POSTs only to https endpoints of known push services at public addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core import events
from backend.core.settings import DEFAULT_PUSH_HOSTS
from backend.push.endpoints import EndpointNotAllowed, check_endpoint
from tests.conftest import Api
from tests.push.residents import (
    delivery_counts,
    emit,
    push_parts,
    run_until_quiet,
    subscribe,
    worker,
)
from tests.safety.community import ServerClock, new_association, new_household
from tests.support.fake_push import new_keys

PUBLIC = {"fcm.googleapis.com": ["142.250.196.106"], "updates.push.services.mozilla.com": ["34.117.237.239"],
          "web.push.apple.com": ["17.253.144.10", "2620:149:a44::10"],
          # A listed name whose DNS answer is a private address (rebinding, a poisoned resolver).
          "push.example.net": ["10.0.0.7"], "metadata.push.example.net": ["169.254.169.254"],
          "six.push.example.net": ["::1"], "mapped.push.example.net": ["::ffff:127.0.0.1"]}


async def fake_dns(host: str, port: int) -> list[str]:
    if host not in PUBLIC:
        raise OSError("NXDOMAIN")
    return PUBLIC[host]


async def check(endpoint: str, *, hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS, loopback: bool = False) -> list[str]:
    return await check_endpoint(endpoint, allowed_hosts=hosts, allow_loopback=loopback, resolver=fake_dns)


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91b",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABl",
    "https://web.push.apple.com/QGuQyavXutnMH:443",
])
async def test_the_browsers_push_services_are_accepted_at_their_checked_addresses(endpoint: str) -> None:
    assert await check(endpoint) == PUBLIC[endpoint.split("/")[2]]


@pytest.mark.parametrize("endpoint, why", [
    ("http://fcm.googleapis.com/fcm/send/x", "https"),
    ("https://evil.example.com/push", "not a known push service"),
    ("https://fcm.googleapis.com.evil.example.com/x", "not a known push service"),
    ("https://user:pw@fcm.googleapis.com/x", "credentials"),
    ("https://fcm.googleapis.com:8443/x", "standard https port"),
    ("https://127.0.0.1/x", "not a known push service"),
    ("http://127.0.0.1:8080/push/x", "https"),  # loopback needs the test setting
    ("http://localhost:8080/push/x", "https"),
    ("https://169.254.169.254/latest/meta-data", "not a known push service"),
    ("ftp://fcm.googleapis.com/x", "https"),
    ("https://" + "a" * 3000, "too long"),
])
async def test_other_schemes_hosts_ports_and_credentials_are_refused(endpoint: str, why: str) -> None:
    with pytest.raises(EndpointNotAllowed, match=why):
        await check(endpoint)


@pytest.mark.parametrize("host", ["push.example.net", "metadata.push.example.net", "six.push.example.net",
                                  "mapped.push.example.net"])
async def test_a_listed_host_resolving_to_a_private_loopback_or_link_local_address_is_refused(host: str) -> None:
    with pytest.raises(EndpointNotAllowed, match="private, loopback or link-local"):
        await check(f"https://{host}/push/1", hosts=("push.example.net", "*.push.example.net"))


@pytest.mark.parametrize("endpoint", ["https://10.1.2.3/push", "https://[::1]/push", "https://[fe80::1]/push",
                                      "https://192.168.1.1/push"])
async def test_private_addresses_stay_refused_even_when_listed(endpoint: str) -> None:
    with pytest.raises(EndpointNotAllowed):
        await check(endpoint, hosts=("10.1.2.3", "::1", "fe80::1", "192.168.1.1"), loopback=True)


async def test_an_unresolvable_host_is_refused() -> None:
    with pytest.raises(EndpointNotAllowed, match="could not be resolved"):
        await check("https://gone.push.example.net/x", hosts=(".push.example.net",))


async def test_the_test_setting_allows_only_http_127_0_0_1_with_a_port() -> None:
    assert await check("http://127.0.0.1:9999/push/a", loopback=True) == ["127.0.0.1"]
    for endpoint in ("http://127.0.0.2:9999/push/a", "http://localhost:9999/push/a", "http://127.0.0.1/push/a",
                     "http://[::1]:9999/push/a"):
        with pytest.raises(EndpointNotAllowed):
            await check(endpoint, loopback=True)


async def test_subscribe_push_answers_endpoint_not_allowed(api: Api) -> None:
    push_parts(api).resolver = fake_dns
    token, _ = await api.user("mallory@example.jp")
    keys = new_keys()

    refused = await subscribe(api, token, "https://169.254.169.254/latest/meta-data/", keys.p256dh, keys.auth)
    accepted = await subscribe(api, token, "https://fcm.googleapis.com/fcm/send/abc", keys.p256dh, keys.auth)

    assert (refused["__typename"], refused["code"]) == ("PushError", "ENDPOINT_NOT_ALLOWED")
    assert accepted["__typename"] == "PushSubscription"


async def test_the_worker_checks_again_before_sending_and_waits_out_a_dns_failure(
    api: Api, server_clock: ServerClock
) -> None:
    push_parts(api).resolver = fake_dns
    association = await new_association(api)
    token, user_id = await api.user("hanako@example.jp")
    await new_household(api, association, "鈴木", user_id)
    keys = new_keys()
    await subscribe(api, token, "https://fcm.googleapis.com/fcm/send/abc", keys.p256dh, keys.auth)
    await emit(api, events.BROADCAST_PUBLISHED, post_id="p", association_id=association, urgency="EMERGENCY",
               title="避難")

    async def no_dns(host: str, port: int) -> list[str]:
        raise OSError("network is down")

    async def rebound(host: str, port: int) -> list[str]:
        return ["10.0.0.7"]

    await run_until_quiet(worker(api, resolver=no_dns))
    offline = await delivery_counts(api)
    server_clock.advance(timedelta(minutes=5))
    await run_until_quiet(worker(api, resolver=rebound))

    assert offline == {"pending": 1}
    assert await delivery_counts(api) == {"failed": 1}  # never sent to the private address
