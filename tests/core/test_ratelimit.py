"""Rate limits: a fixed window per key, in this process or in Redis shared by every worker;
with Redis unreachable they fall back to this process's own windows (fail open, logged).

The Redis tests use the real Redis of `make services` (127.0.0.1:6379); every test names its
keys afresh, so runs never see each other's windows.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.api.app import create_app
from backend.core.actions import Registry
from backend.core.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter, rate_limiter
from backend.core.settings import Settings
from tests.support.server import free_port
from tests.support.transport import GraphQLTransport

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
async def limiters() -> AsyncIterator[list[RateLimiter]]:
    """Closed at the end of the test, whatever was made."""
    made: list[RateLimiter] = []
    yield made
    for limiter in made:
        await limiter.aclose()


def shared(made: list[RateLimiter], name: str, *, limit: int, window: float, url: str = REDIS_URL) -> RedisRateLimiter:
    """A limiter as one app worker holds it; several with the same name share their windows."""
    assert redis_answers(), "Redis must run at 127.0.0.1:6379 (`make services` starts it)"
    limiter = RedisRateLimiter(name=name, limit=limit, window_seconds=window, redis_url=url)
    made.append(limiter)
    return limiter


async def hits(limiter: RateLimiter, key: str, times: int) -> list[float | None]:
    return [await limiter.hit(key) for _ in range(times)]


async def test_the_memory_limiter_allows_the_limit_then_says_how_long_to_wait() -> None:
    limiter = MemoryRateLimiter(limit=3, window_seconds=60)

    answers = await hits(limiter, "login:a@example.jp", 4)

    assert answers[:3] == [None, None, None]
    assert answers[3] is not None and 59 < answers[3] <= 60
    assert await limiter.hit("login:b@example.jp") is None  # another key has its own window


async def test_a_new_window_starts_when_the_old_one_ends() -> None:
    limiter = MemoryRateLimiter(limit=1, window_seconds=0.2)
    first = await hits(limiter, "k", 2)

    await asyncio.sleep(0.25)

    assert first[0] is None and first[1] is not None
    assert await limiter.hit("k") is None


async def test_limits_switched_off_never_hold_anyone_back(limiters: list[RateLimiter]) -> None:
    memory = MemoryRateLimiter(limit=1, window_seconds=60, enabled=False)
    redis = shared(limiters, f"off-{uuid.uuid4()}", limit=1, window=60)
    redis.enabled = False

    assert await hits(memory, "k", 5) == [None] * 5
    assert await hits(redis, "k", 5) == [None] * 5


async def test_two_workers_sharing_redis_count_one_window(limiters: list[RateLimiter]) -> None:
    name = f"login-{uuid.uuid4()}"
    worker_a = shared(limiters, name, limit=4, window=60)
    worker_b = shared(limiters, name, limit=4, window=60)

    answers = [await (worker_a if i % 2 else worker_b).hit("login:hanako@example.jp") for i in range(5)]

    assert answers[:4] == [None] * 4
    assert answers[4] is not None and 59 < answers[4] <= 60
    assert await worker_a.hit("login:taro@example.jp") is None


async def test_limiters_of_different_names_keep_separate_windows(limiters: list[RateLimiter]) -> None:
    login = shared(limiters, f"login-{uuid.uuid4()}", limit=1, window=60)
    address = shared(limiters, f"address-{uuid.uuid4()}", limit=1, window=60)

    assert await login.hit("198.51.100.7") is None
    assert await address.hit("198.51.100.7") is None
    assert await login.hit("198.51.100.7") is not None


async def test_a_redis_window_ends_on_time_for_every_worker(limiters: list[RateLimiter]) -> None:
    name = f"short-{uuid.uuid4()}"
    worker_a = shared(limiters, name, limit=1, window=0.3)
    worker_b = shared(limiters, name, limit=1, window=0.3)
    assert await worker_a.hit("k") is None
    wait = await worker_b.hit("k")

    await asyncio.sleep(0.35)

    assert wait is not None and 0 < wait <= 0.3
    assert await worker_b.hit("k") is None


async def test_redis_keys_do_not_hold_the_email_address(limiters: list[RateLimiter]) -> None:
    limiter = shared(limiters, "login", limit=10, window=60)

    key = limiter.redis_key("login:hanako@example.jp")

    assert key.startswith("otagai:ratelimit:login:")
    assert "hanako" not in key and "example" not in key


async def test_with_redis_unreachable_limits_fail_open_to_this_process_and_warn(
    limiters: list[RateLimiter], caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    limiter = RedisRateLimiter(name="login", limit=2, window_seconds=60, redis_url=nowhere)
    limiters.append(limiter)

    with caplog.at_level(logging.WARNING, logger="backend.core.ratelimit"):
        answers = await hits(limiter, "login:hanako@example.jp", 3)

    assert answers[:2] == [None, None]  # nobody locked out because the cache is down
    assert answers[2] is not None  # and a flood is still held back, per process
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1  # once per retry period, not once per attempt


def test_the_factory_counts_in_redis_only_when_redis_is_configured() -> None:
    assert isinstance(rate_limiter(name="login", limit=1, window_seconds=1), MemoryRateLimiter)
    assert isinstance(rate_limiter(name="login", limit=1, window_seconds=1, redis_url=REDIS_URL), RedisRateLimiter)


async def login(gql: GraphQLTransport, email: str, password: str) -> dict[str, Any]:
    data = await gql.data("Login", {"input": {"email": email, "password": password}})
    result: dict[str, Any] = data["login"]
    return result


async def test_sign_in_limits_hold_across_two_app_workers_sharing_redis(
    db_url: str, registry: Registry, tmp_path: Path
) -> None:
    assert redis_answers(), "Redis must run at 127.0.0.1:6379 (`make services` starts it)"
    settings = Settings(database_url=db_url, data_dir=tmp_path, rate_limits=True, redis_url=REDIS_URL)
    email = f"hanako-{uuid.uuid4().hex[:8]}@example.jp"
    address = f"2001:db8::{uuid.uuid4().hex[:4]}"  # the per-address window is this test's own
    async with AsyncExitStack() as stack:
        workers = []
        for _ in range(2):  # two app workers behind one load balancer
            app = create_app(settings, registry)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, client=(address, 50000))
            http = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://otagai.test"))
            workers.append(GraphQLTransport(http))
        await workers[0].register(email)

        answers = [(await login(workers[i % 2], email, "wrong password"))["code"] for i in range(11)]

    assert answers == ["INVALID_CREDENTIALS"] * 10 + ["RATE_LIMITED"]
