"""Fixed-window rate limits: counted in this process, or in Redis and shared by every worker.

`rate_limiter()` chooses Redis when OTAGAI_REDIS_URL is set, so that a limit holds however a
load balancer spreads the attempts over the app workers; without it each process counts its
own. Both answer `await hit(key)` the same way: None when allowed, else the seconds until the
window ends. When Redis does not answer, the limiter fails open to this process's own windows
and logs a warning (at most once per retry period): a resident is never locked out of a
disaster app because a cache is down (docs/DEPLOYMENT.md).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from typing import Any, Protocol

from redis.exceptions import RedisError

log = logging.getLogger(__name__)
REDIS_RETRY_S = 5.0  # after a failure, count locally this long before asking Redis again
REDIS_TIMEOUT_S = 0.5  # a login must not wait long for a cache

# One round trip, atomic: the first hit of a window starts its expiry; the reply says how long
# the window still runs. (A key without an expiry cannot outlive a crash between two calls.)
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RateLimiter(Protocol):
    limit: int
    window: float
    enabled: bool

    async def hit(self, key: str) -> float | None:
        """Count one attempt; return None when allowed, else the seconds until it is."""
        ...

    async def aclose(self) -> None: ...


class MemoryRateLimiter:
    """The windows of this process only (one worker, or Redis unreachable)."""

    def __init__(self, *, limit: int, window_seconds: float, enabled: bool = True) -> None:
        self.limit = limit
        self.window = window_seconds
        self.enabled = enabled
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    async def hit(self, key: str) -> float | None:
        return self.count(key) if self.enabled else None

    async def aclose(self) -> None:
        """Nothing to release (the same interface as the Redis limiter)."""

    def count(self, key: str) -> float | None:
        now = time.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        self._windows.move_to_end(key)
        while len(self._windows) > 100_000:  # bounded memory under a flood of keys
            self._windows.popitem(last=False)
        if count > self.limit:
            return max(0.0, self.window - (now - start))
        return None


class RedisRateLimiter:
    """One window per key in Redis, shared by every worker that names the same limiter."""

    def __init__(self, *, name: str, limit: int, window_seconds: float, redis_url: str,
                 enabled: bool = True) -> None:
        self.name = name
        self.limit = limit
        self.window = window_seconds
        self.enabled = enabled
        self._url = redis_url
        self._client: Any = None
        self._script: Any = None
        self._local = MemoryRateLimiter(limit=limit, window_seconds=window_seconds)
        self._redis_down_until = 0.0

    def redis_key(self, key: str) -> str:
        # Hashed: the keys hold e-mail and IP addresses, which need not sit in a cache.
        return f"otagai:ratelimit:{self.name}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    async def hit(self, key: str) -> float | None:
        if not self.enabled:
            return None
        if time.monotonic() < self._redis_down_until:
            return self._local.count(key)
        try:
            count, ttl_ms = await self._call(key)
        except (RedisError, OSError, TimeoutError) as exc:  # refused, reset, timed out: no Redis
            self._redis_down_until = time.monotonic() + REDIS_RETRY_S
            log.warning("rate limit %s: Redis unavailable (%s: %s); counting in this process for %.0f s",
                        self.name, type(exc).__name__, exc, REDIS_RETRY_S)
            return self._local.count(key)
        if int(count) > self.limit:
            return max(0.0, int(ttl_ms) / 1000)
        return None

    async def _call(self, key: str) -> tuple[int, int]:
        if self._client is None:
            import redis.asyncio as redis_asyncio

            # Created on first use, in the event loop of the worker that uses it.
            self._client = redis_asyncio.from_url(
                self._url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
            self._script = self._client.register_script(_HIT)
        count, ttl_ms = await self._script(keys=[self.redis_key(key)], args=[max(1, int(self.window * 1000))])
        return int(count), int(ttl_ms)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def rate_limiter(*, name: str, limit: int, window_seconds: float, enabled: bool = True,
                 redis_url: str | None = None) -> RateLimiter:
    """Redis-backed when a Redis URL is configured, else counted in this process."""
    if redis_url:
        return RedisRateLimiter(name=name, limit=limit, window_seconds=window_seconds, redis_url=redis_url,
                                enabled=enabled)
    return MemoryRateLimiter(limit=limit, window_seconds=window_seconds, enabled=enabled)
