"""What the push domain keeps for the life of a process: the VAPID keys, the sender, the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from backend.core.db import Database
from backend.core.settings import Settings
from backend.push import endpoints, keys
from backend.push.sender import Sender
from backend.push.worker import PushWorker, WorkerConfig

log = logging.getLogger(__name__)


@dataclass
class PushParts:
    keys: keys.VapidKeys
    sender: Sender
    worker: PushWorker | None = field(default=None)
    resolver: endpoints.Resolver = endpoints.resolve  # tests put a fake DNS here


def build_push_parts(settings: Settings) -> PushParts:
    vapid = keys.load_or_create(settings.data_dir)
    return PushParts(keys=vapid, sender=Sender(vapid, settings.push_subject))


@contextlib.asynccontextmanager
async def running_worker(parts: PushParts, db: Database, settings: Settings,
                         config: WorkerConfig | None = None) -> AsyncIterator[PushWorker]:
    """The delivery worker as a background task for as long as the block runs."""
    worker = PushWorker(db, settings, parts.sender, config=config, resolver=parts.resolver)
    parts.worker = worker
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, 25)
        except (TimeoutError, asyncio.CancelledError):
            log.warning("push worker did not stop in time")
        parts.worker = None


async def run_until_signalled(settings: Settings) -> None:
    """`otagai worker`: the delivery worker alone, until SIGTERM or Ctrl-C."""
    db = Database(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await PushWorker(db, settings, build_push_parts(settings).sender).run(stop)
    finally:
        await db.dispose()
