"""Residents with subscribed phones, messages sent through domain events, and a worker run
until the queue is quiet."""

from __future__ import annotations

from typing import Any

from backend.core import events
from backend.push import queue
from backend.push.endpoints import Resolver, resolve
from backend.push.parts import PushParts
from backend.push.worker import PushWorker, WorkerConfig
from tests.conftest import Api
from tests.support.fake_push import FakePushService


def push_parts(api: Api) -> PushParts:
    parts: PushParts = api.parts.domains["push"]
    return parts


async def subscribe(api: Api, token: str, endpoint: str, p256dh: str, auth: str, *, locale: str = "ja",
                    preferences: dict[str, Any] | None = None) -> dict[str, Any]:
    variables: dict[str, Any] = {"input": {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth},
                                           "locale": locale}}
    if preferences is not None:
        variables["input"]["preferences"] = preferences
    result: dict[str, Any] = (await api.gql.data("SubscribePush", variables, token))["subscribePush"]
    return result


async def resident_with_phone(api: Api, fake: FakePushService, email: str, *, locale: str = "ja",
                              preferences: dict[str, Any] | None = None) -> tuple[str, str, str]:
    """(token, user id, device name) of a resident whose phone is subscribed."""
    token, user_id = await api.user(email)
    device = email.split("@")[0]
    endpoint, keys = fake.new_device(device)
    result = await subscribe(api, token, endpoint, keys.p256dh, keys.auth, locale=locale, preferences=preferences)
    assert result["__typename"] == "PushSubscription", result
    return token, user_id, device


async def emit(api: Api, event: str, **payload: Any) -> None:
    """A domain event in its own unit of work, as the board, market or safety emit it."""
    async with api.parts.db.unit_of_work() as uow:
        await events.emit(uow.session, event, **payload)
        await uow.commit()


def worker(api: Api, resolver: Resolver = resolve, **config: Any) -> PushWorker:
    return PushWorker(api.parts.db, api.parts.settings, push_parts(api).sender, resolver=resolver,
                      config=WorkerConfig(**{"lanes": 1, "batch": 50, **config}))


async def run_until_quiet(w: PushWorker, rounds: int = 100) -> None:
    """Expand and deliver until nothing is due now."""
    for _ in range(rounds):
        expanded = await w.expand_once()
        delivered = await w.deliver_once()
        if not expanded and not delivered:
            return
    raise AssertionError("the push queue never went quiet")


async def delivery_counts(api: Api) -> dict[str, int]:
    async with api.parts.db.read_session() as session:
        return await queue.counts(session)
