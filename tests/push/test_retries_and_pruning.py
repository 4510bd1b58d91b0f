"""What each answer of a push service leads to: retry network errors, 429 and 5xx with backoff
and a bounded number of attempts; delete the subscription on 404/410; give up on anything else."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core import events
from backend.push import rules
from backend.push.models import PushDelivery, PushSubscription
from tests.conftest import Api
from tests.push.residents import delivery_counts, emit, resident_with_phone, run_until_quiet, worker
from tests.safety.community import ServerClock, new_association, new_household
from tests.support.fake_push import FakePushService


async def one_phone_and_an_emergency(api: Api, fake: FakePushService, answers: tuple[object, ...]) -> str:
    association = await new_association(api)
    _, user_id, device = await resident_with_phone(api, fake, "hanako@example.jp")
    await new_household(api, association, "鈴木", user_id)
    fake.plan(device, *answers)  # type: ignore[arg-type]
    await emit(api, events.BROADCAST_PUBLISHED, post_id="p-1", association_id=association, urgency="EMERGENCY",
               title="避難")
    return device


async def delivery(api: Api) -> PushDelivery:
    async with api.parts.db.read_session() as session:
        row = await session.scalar(sa.select(PushDelivery))
        assert row is not None
        return row


async def subscriptions(api: Api) -> int:
    async with api.parts.db.read_session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) or 0)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_server_error_is_retried_after_a_backoff_and_then_delivered_once(
    api: Api, fake_push: FakePushService, server_clock: ServerClock, status: int
) -> None:
    await one_phone_and_an_emergency(api, fake_push, (status,))
    w = worker(api)

    await run_until_quiet(w)
    waiting = await delivery(api)
    server_clock.advance(timedelta(seconds=rules.BACKOFF_BASE_S + 0.1))
    await run_until_quiet(w)

    assert (waiting.state, waiting.attempts, waiting.last_status) == ("pending", 1, status)
    assert (await delivery(api)).state == "sent" and (await delivery(api)).attempts == 2
    assert len(fake_push.delivered) == 1


async def test_429_waits_for_retry_after(api: Api, fake_push: FakePushService, server_clock: ServerClock) -> None:
    await one_phone_and_an_emergency(api, fake_push, ((429, {"retry-after": "120"}),))
    w = worker(api)

    await run_until_quiet(w)
    server_clock.advance(timedelta(seconds=119))
    await run_until_quiet(w)
    before = len(fake_push.delivered)
    server_clock.advance(timedelta(seconds=2))
    await run_until_quiet(w)

    assert (before, len(fake_push.delivered)) == (0, 1)


async def test_a_network_error_is_retried(api: Api, fake_push: FakePushService, server_clock: ServerClock) -> None:
    association = await new_association(api)
    _, user_id, _ = await resident_with_phone(api, fake_push, "hanako@example.jp")
    await new_household(api, association, "鈴木", user_id)
    async with api.parts.db.unit_of_work() as uow:  # the push service is down: nothing listens there
        await uow.session.execute(sa.update(PushSubscription).values(endpoint="http://127.0.0.1:9/push/hanako"))
        await uow.commit()
    await emit(api, events.BROADCAST_PUBLISHED, post_id="p-1", association_id=association, urgency="EMERGENCY",
               title="避難")

    await run_until_quiet(worker(api))

    row = await delivery(api)
    assert (row.state, row.attempts, row.last_status) == ("pending", 1, None)
    assert row.last_error and "Error" in row.last_error


async def test_retries_stop_after_a_bounded_number_of_attempts_in_a_failed_state(
    api: Api, fake_push: FakePushService, server_clock: ServerClock
) -> None:
    await one_phone_and_an_emergency(api, fake_push, (503,) * (rules.MAX_ATTEMPTS + 2))
    w = worker(api)

    for _ in range(rules.MAX_ATTEMPTS + 2):
        await run_until_quiet(w)
        server_clock.advance(timedelta(seconds=rules.BACKOFF_CAP_S + 1))

    row = await delivery(api)
    assert (row.state, row.attempts, row.last_status) == ("failed", rules.MAX_ATTEMPTS, 503)
    assert fake_push.answered[503] == rules.MAX_ATTEMPTS and not fake_push.delivered


@pytest.mark.parametrize("status", [404, 410])
async def test_a_gone_subscription_is_deleted_and_never_tried_again(
    api: Api, fake_push: FakePushService, server_clock: ServerClock, status: int
) -> None:
    await one_phone_and_an_emergency(api, fake_push, (status,))
    w = worker(api)

    await run_until_quiet(w)
    server_clock.advance(timedelta(hours=1))
    await run_until_quiet(w)

    assert (await delivery(api)).state == "gone"
    assert await subscriptions(api) == 0
    assert fake_push.answered[status] == 1 and not fake_push.delivered


@pytest.mark.parametrize("status", [400, 403, 413])
async def test_other_client_errors_fail_at_once_and_keep_the_subscription(
    api: Api, fake_push: FakePushService, server_clock: ServerClock, status: int
) -> None:
    await one_phone_and_an_emergency(api, fake_push, (status,))
    w = worker(api)

    await run_until_quiet(w)
    server_clock.advance(timedelta(hours=1))
    await run_until_quiet(w)

    assert await delivery_counts(api) == {"failed": 1}
    assert await subscriptions(api) == 1
    assert fake_push.answered[status] == 1


async def test_messages_and_their_deliveries_are_forgotten_after_a_week(
    api: Api, fake_push: FakePushService, server_clock: ServerClock
) -> None:
    await one_phone_and_an_emergency(api, fake_push, ())
    await run_until_quiet(worker(api))
    kept = await delivery_counts(api)

    server_clock.advance(timedelta(days=8))
    await run_until_quiet(worker(api))

    assert (kept, await delivery_counts(api)) == ({"sent": 1}, {})
