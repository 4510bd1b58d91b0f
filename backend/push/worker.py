"""The push delivery worker: fan messages out, claim due deliveries, encrypt, POST, record.

It runs inside `otagai serve` (one per server process) and as `otagai worker`. Several
lanes each claim a batch and send it with bounded concurrency; one recorder writes the
outcomes as they arrive, grouping whatever accumulated during its previous write. After a
crash only the outcomes answered but not yet recorded are sent again, and a repeat carries the
same notification tag and Topic, so the phone shows it once. A fan-out expander runs beside
them, so the first phones are reached while later chunks are still being queued.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from backend.core.clock import utcnow
from backend.core.db import Database
from backend.core.errors import DomainError
from backend.core.settings import Settings
from backend.push import endpoints, fanout, queue, rules, texts
from backend.push.models import PushMessage
from backend.push.sender import Sender
from backend.push.transport import NetworkError, Transport

log = logging.getLogger(__name__)
HOST_CHECK_TTL_S = 300.0
KEEP_MESSAGES = timedelta(days=7)  # longer than any TTL we set (at most 3 days)
PURGE_EVERY_S = 3600.0
STOP_GRACE_S = 10.0
RECORD_MAX = 1000


@dataclass
class WorkerConfig:
    batch: int = 250
    lanes: int = 3
    concurrency: int = 96
    lease_s: float = 30.0
    poll_s: float = 0.5
    max_attempts: int = rules.MAX_ATTEMPTS


@dataclass
class Stats:
    outcomes: dict[str, int] = field(default_factory=dict)
    queued: int = 0


class PushWorker:
    def __init__(self, db: Database, settings: Settings, sender: Sender, *, config: WorkerConfig | None = None,
                 transport: Transport | None = None, resolver: endpoints.Resolver = endpoints.resolve) -> None:
        self.db, self.settings, self.sender = db, settings, sender
        self.config = config or WorkerConfig(lease_s=settings.push_lease_seconds)
        self.transport = transport or Transport(per_origin=self.config.concurrency)
        self.stats = Stats()
        self._resolver = resolver
        self._messages: dict[str, queue.MessageInfo] = {}
        self._hosts: dict[str, tuple[float, str | None, str | None]] = {}
        self._plaintexts: dict[tuple[str, str], tuple[bytes, fanout.Delivery, str]] = {}
        self._sending = asyncio.Semaphore(self.config.concurrency)
        self._purged_at = float("-inf")
        self._busy = False  # the last claim found work: skip the idle check
        self._recorder: asyncio.Task[None] | None = None
        self._members: dict[str, set[str]] = {}  # of the association being fanned out now
        self._outcomes: asyncio.Queue[queue.Result] = asyncio.Queue(maxsize=self.config.batch)

    async def run(self, stop: asyncio.Event) -> None:
        recorder = asyncio.create_task(self._record_continuously())
        self._recorder = recorder
        tasks = [asyncio.create_task(self._loop(self.expand_once, stop))]
        tasks += [asyncio.create_task(self._loop(self.deliver_once, stop)) for _ in range(self.config.lanes)]
        try:
            await stop.wait()
            await asyncio.wait(tasks, timeout=STOP_GRACE_S)  # let batches in flight finish
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:
                await asyncio.wait_for(self._outcomes.join(), STOP_GRACE_S)
            except TimeoutError:
                log.warning("push outcomes left unrecorded; they are sent again after the lease")
            recorder.cancel()
            await asyncio.gather(recorder, return_exceptions=True)
            self._recorder = None
            await self.transport.close()

    async def _loop(self, step: object, stop: asyncio.Event) -> None:
        assert callable(step)
        while not stop.is_set():
            try:
                busy = await step()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away, a bug: keep the worker alive, try again
                log.exception("push worker step failed")
                busy = False
            if not busy:
                try:
                    await asyncio.wait_for(stop.wait(), self.config.poll_s)
                except TimeoutError:
                    pass

    async def expand_once(self) -> bool:
        """Queue the next chunk of one unfinished fan-out; False when there is none."""
        if time.monotonic() - self._purged_at > PURGE_EVERY_S:
            self._purged_at = time.monotonic()
            async with self.db.unit_of_work() as uow:
                await queue.purge(uow.session, older_than=KEEP_MESSAGES)
                await uow.commit()
        if not self._busy:
            async with self.db.read_session() as session:
                if not await queue.anything_due(session):
                    return False
        async with self.db.unit_of_work() as uow:
            message_id = await queue.next_fanout(uow.session)
            if message_id is None:
                return False
            message = await uow.session.get(PushMessage, message_id)
            assert message is not None
            members = self._members.get(message_id)
            association = message.audience_id if message.audience_kind == "association" else None
            if members is None and association is None:
                self.stats.queued += await fanout.expand(uow.session, message)
                await uow.commit()
            elif members is not None:
                self.stats.queued += await fanout.expand(uow.session, message, members=members)
                await uow.commit()
        if members is None and association is not None:  # read once, without holding the writer
            async with self.db.read_session() as session:
                self._members = {message_id: await fanout.association_members(session, association)}
            return True
        if message.fanout_done:
            self._members.pop(message_id, None)
        return True

    async def deliver_once(self) -> bool:
        """Claim, send and record one batch; False when nothing was due."""
        if not self._busy:
            async with self.db.read_session() as session:
                if not await queue.anything_due(session):
                    return False
        async with self.db.unit_of_work() as uow:
            jobs = await queue.claim(uow.session, limit=self.config.batch, lease_s=self.config.lease_s)
            missing = {j.message_id for j in jobs} - self._messages.keys()
            if missing:
                if len(self._messages) > 10_000:
                    self._messages.clear()
                self._messages.update(await queue.messages(uow.session, missing))
            await uow.commit()
        claimed = time.monotonic()
        self._busy = bool(jobs)
        if not jobs:
            return False
        if self._recorder is None:  # stepped by hand (tests): record the batch at its end
            results = await asyncio.gather(*(self._send(job, claimed) for job in jobs))
            await self._record([r for r in results if r is not None])
        else:
            await asyncio.gather(*(self._send_and_hand_over(job, claimed) for job in jobs))
        return True

    async def _send_and_hand_over(self, job: queue.Job, claimed: float) -> None:
        result = await self._send(job, claimed)
        if result is not None:
            await self._outcomes.put(result)  # waits while the recorder is behind

    async def _record_continuously(self) -> None:
        """Record outcomes as they come, in whatever groups accumulated during the last write:
        few transactions when busy, and after a crash only the outcomes of that one write's
        duration are missing (those phones get the message again, under the same tag)."""
        while True:
            results = [await self._outcomes.get()]
            while not self._outcomes.empty() and len(results) < RECORD_MAX:
                results.append(self._outcomes.get_nowait())
            while True:
                try:
                    await self._record(results)
                    break
                except Exception:
                    log.exception("recording push outcomes failed; trying again")
                    await asyncio.sleep(self.config.poll_s)
            for _ in results:
                self._outcomes.task_done()

    async def _record(self, results: list[queue.Result]) -> None:
        if not results:
            return
        async with self.db.unit_of_work() as uow:
            await queue.record(uow.session, results)
            await uow.commit()
        for result in results:
            self.stats.outcomes[result.outcome] = self.stats.outcomes.get(result.outcome, 0) + 1

    async def _send(self, job: queue.Job, claimed: float) -> queue.Result | None:
        """What became of one delivery; None when its lease ran out before it could be sent
        (another worker may have it by now: leave it alone)."""
        if job.endpoint is None:
            return queue.Result(job, "gone", error="subscription deleted")
        message = self._messages[job.message_id]
        now = utcnow()
        if not message.category & rules.URGENT:
            until = rules.quiet_until(now, start=job.quiet_start, end=job.quiet_end, time_zone=job.time_zone)
            if until is not None:
                return queue.Result(job, "defer", due_at=until)
        try:
            refusal, address = await self._route(job.endpoint)
        except endpoints.Unresolvable as exc:  # no DNS (the network is down): try again later
            return self._retry(job, None, None, now, exc.message)
        if refusal is not None:
            return queue.Result(job, "failed", error=refusal)
        plaintext, shape, topic = self._prepared(message, job.locale)
        request = self.sender.build(plaintext, endpoint=job.endpoint, p256dh=job.p256dh, auth=job.auth,
                                    ttl=shape.ttl, urgency=shape.urgency, topic=topic)
        status: int | None = None
        retry_after: str | None = None
        error = ""
        async with self._sending:
            if time.monotonic() - claimed > self.config.lease_s / 2:
                return None
            try:
                response = await self.transport.post(request.url, request.body, request.headers, address=address)
                status, retry_after = response.status, response.headers.get("retry-after")
            except NetworkError as exc:
                error = str(exc)
        outcome = rules.outcome(status)
        if outcome == "retry":
            return self._retry(job, status, retry_after, now, None if status else error)
        return queue.Result(job, outcome, status=status)

    def _retry(self, job: queue.Job, status: int | None, retry_after: str | None, now: datetime,
               error: str | None) -> queue.Result:
        if job.attempts >= self.config.max_attempts:
            return queue.Result(job, "failed", status=status, error=f"gave up after {job.attempts} attempts: {error}")
        wait = rules.retry_after_s(retry_after, now) if status == 429 else None
        due = now + timedelta(seconds=wait if wait is not None else rules.backoff_s(job.attempts))
        return queue.Result(job, "retry", status=status, error=error, due_at=due)

    def _prepared(self, message: queue.MessageInfo, locale: str) -> tuple[bytes, fanout.Delivery, str]:
        """The plaintext and headers of a message in one language, made once per fan-out."""
        key = (message.id, locale)
        prepared = self._plaintexts.get(key)
        if prepared is None:
            if len(self._plaintexts) > 1000:
                self._plaintexts.clear()
            tag, url = fanout.tag_and_url(message.kind, message.source_id, message.params)
            plaintext = texts.payload(message_id=message.id, kind=message.kind, params=message.params,
                                      locale=locale, tag=tag, url=url)
            prepared = (plaintext, fanout.shape(message.kind, message.category), rules.topic(tag))
            self._plaintexts[key] = prepared
        return prepared

    async def _route(self, endpoint: str) -> tuple[str | None, str | None]:
        """(refusal, address to connect to): the subscribe-time SSRF check again, per host and
        cached for a while, since DNS may have changed; the checked address is the one used."""
        host = urlsplit(endpoint).netloc
        cached = self._hosts.get(host)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], cached[2]
        refusal = address = None
        try:
            address = (await endpoints.check_endpoint(
                endpoint, allowed_hosts=self.settings.push_allowed_hosts,
                allow_loopback=self.settings.push_allow_loopback, resolver=self._resolver))[0]
        except endpoints.Unresolvable:
            raise
        except DomainError as exc:
            refusal = f"{exc.code}: {exc.message}"
        self._hosts[host] = (time.monotonic() + HOST_CHECK_TTL_S, refusal, address)
        return refusal, address
