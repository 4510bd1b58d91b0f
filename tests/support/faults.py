"""Network faults and timing between test clients and the in-process server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import httpx

from backend.sync.envelopes import PushReply
from backend.sync.push import PushEngine
from tests.support.transport import GraphQLTransport, Reply


class LostReplies(GraphQLTransport):
    """Delivers requests but loses the replies of the next `pushes` pushes.

    The server has run (and committed) the push; the client sees a connection reset, as when
    the network drops while the reply is on its way (SYNC.md case 1).
    """

    def __init__(self, http: httpx.AsyncClient, *, pushes: int = 1) -> None:
        super().__init__(http)
        self.pushes = pushes

    async def execute(
        self, name: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> Reply:
        reply = await super().execute(name, variables, token)
        if name == "Push" and self.pushes > 0:
            self.pushes -= 1
            raise httpx.ReadError("connection reset before the reply arrived")
        return reply


@contextlib.contextmanager
def arriving_together(pusher: PushEngine, senders: int) -> Iterator[list[str]]:
    """Holds each push at the door of the engine until `senders` pushes are there, then lets
    them all in at once, so concurrent sends really overlap inside the engine (SYNC.md case 3).
    Yields the order of events ("enter"/"exit") for the test to check the overlap.
    """
    barrier = asyncio.Barrier(senders)
    original = pusher.push
    events: list[str] = []

    async def push(**kwargs: Any) -> PushReply:
        await asyncio.wait_for(barrier.wait(), timeout=10)
        events.append("enter")
        try:
            return await original(**kwargs)
        finally:
            events.append("exit")

    pusher.push = push  # type: ignore[method-assign]
    try:
        yield events
    finally:
        pusher.push = original  # type: ignore[method-assign]
