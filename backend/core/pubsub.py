"""Topics published after a commit, heard by subscriptions in every app worker.

Topics are audience keys ("pull now" pokes for the `changes` subscription) or other keys a
domain publishes (a shelter's live status). In one process the broker fans out in memory;
with OTAGAI_REDIS_URL set, messages go through Redis pub/sub so that every app worker's
subscribers hear every other worker's commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)
CHANNEL = "otagai:pokes"


class Broker:
    def __init__(self, redis_url: str | None = None) -> None:
        self._subscribers: set[tuple[frozenset[str], asyncio.Queue[set[str]]]] = set()
        self._redis_url = redis_url
        self._redis: Any = None
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._redis_url and self._listener is None:
            import redis.asyncio as redis_asyncio  # optional dependency

            self._redis = redis_asyncio.from_url(self._redis_url)
            self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def publish(self, audiences: set[str]) -> None:
        if not audiences:
            return
        if self._redis is not None:
            try:
                await self._redis.publish(CHANNEL, json.dumps(sorted(audiences)))
                return
            except Exception:  # Redis down: local subscribers still hear it
                log.warning("poke via redis failed; delivering locally only", exc_info=True)
        self._deliver(audiences)

    def _deliver(self, audiences: set[str]) -> None:
        for wanted, queue in list(self._subscribers):
            hit = wanted & audiences
            if hit and queue.qsize() < 100:
                queue.put_nowait(set(hit))

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._deliver(set(json.loads(message["data"])))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis poke listener lost; retrying", exc_info=True)
                await asyncio.sleep(1)

    @contextlib.asynccontextmanager
    async def subscribe(self, audiences: set[str]) -> AsyncIterator[asyncio.Queue[set[str]]]:
        queue: asyncio.Queue[set[str]] = asyncio.Queue()
        entry = (frozenset(audiences), queue)
        self._subscribers.add(entry)
        try:
            yield queue
        finally:
            self._subscribers.discard(entry)


_broker: Broker | None = None


def install(broker: Broker | None) -> None:
    """The app installs its broker at start; domains publish through `publish_after_commit`."""
    global _broker
    _broker = broker


def current() -> Broker:
    if _broker is None:
        raise RuntimeError("no broker installed: the app starts one in its lifespan")
    return _broker


def publish_after_commit(session: Any, topics: set[str]) -> None:
    """Publish `topics` once the transaction of `session` commits."""
    from backend.core.db import after_commit

    broker = _broker
    if broker is None or not topics:
        return
    after_commit(session, lambda: broker.publish(set(topics)))
