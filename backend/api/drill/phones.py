"""The ward's phones during the drill: each queues its resident's actions when their time
comes, sends while it has a network, pulls now and then, and at the end — everyone back
online — sends everything it holds and pulls until it is current.

An action that needs something seen first (a circular to open, a listing to claim) waits on
the phone until a pull brought it; a phone waiting for something pulls more often. Leaders
knock on the doors their roll-call shows unanswered once the drill is well under way.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from backend.api.drill import scenario
from backend.api.drill.outbox import OutboxClient, PullFailed
from backend.api.drill.processes import ServerProcess
from backend.api.drill.report import Progress
from backend.api.drill.transport import HttpTransport
from backend.api.drill.truth import count
from backend.api.drill.ward import Ward

RECOVERY_PATIENCE = 120.0  # seconds without a single answered action before giving up


@dataclass
class Run:
    """What the drill saw while it ran (the report's raw figures)."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    coverage: list[tuple[float, float]] = field(default_factory=list)
    door_knocks: int = 0
    recovery_s: float = 0.0
    applied_per_s: list[float] = field(default_factory=list)  # every 5 s of the play
    worker_peak_mb: float = 0.0
    claims_dropped: int = 0  # the phone showed the listing had nothing left: no claim made
    push_wait_s: float = 0.0


def _clock(skew: timedelta) -> Callable[[], datetime]:
    """A phone's clock, `skew` off (the clock fault)."""
    return lambda: datetime.now(UTC) + skew


class Phones:
    def __init__(self, *, ward: Ward, plans: list[scenario.Plan], transport: HttpTransport, server: ServerProcess,
                 run: Run, rng: random.Random, url: str, incident: str, concurrency: int) -> None:
        self.ward, self.plans, self.transport, self.server = ward, plans, transport, server
        self.run, self.rng, self.url, self.incident = run, rng, url, incident
        self.devices = [OutboxClient(transport, r.token, r.id, app_version="drill-1", clock=_clock(plan.skew))
                        for r, plan in zip(ward.residents, plans, strict=True)]
        self.waiting: list[list[scenario.Action]] = [[] for _ in self.devices]
        self.knocked: set[int] = set()
        self.slots = asyncio.Semaphore(concurrency)

    def _act(self, index: int) -> None:
        """Queue what the resident can do now; the rest still waits for a pull."""
        device, still = self.devices[index], []
        for action in self.waiting[index]:
            decision = scenario.ready(action, device.replica)
            if decision == "queue":
                device.enqueue(action.name, action.args)
            elif decision == "wait":
                still.append(action)
            else:
                self.run.claims_dropped += 1
        self.waiting[index] = still

    async def _sync(self, index: int, pull: bool) -> str:
        device = self.devices[index]
        async with self.slots:
            report = await device.drain(max_batches=3)
            if pull and report.stopped_because == "empty":
                try:
                    await device.pull_all(limit=200, max_pages=50)
                except PullFailed:
                    return "pull-failed"
        return report.stopped_because

    async def play(self, seconds: float, progress: Progress) -> None:
        n = len(self.devices)
        next_action = [0] * n
        not_before = [0.0] * n
        last_pull = [0.0] * n
        pull_every = min(20.0, max(2.0, seconds / 6))
        busy: dict[int, asyncio.Task[str]] = {}
        knocking: asyncio.Task[None] | None = None  # beside the loop: a slow roll-call holds up no phone
        answered_before = 0
        started = time.monotonic()
        next_sample = 0.0
        while (t := time.monotonic() - started) < seconds:
            for i in range(n):
                plan, device = self.plans[i], self.devices[i]
                while next_action[i] < len(plan.actions) and plan.actions[next_action[i]].at <= t:
                    self.waiting[i].append(plan.actions[next_action[i]])
                    next_action[i] += 1
                if self.waiting[i]:
                    self._act(i)
                task = busy.get(i)
                if task is not None:
                    if not task.done():
                        continue
                    del busy[i]
                    if task.result() != "empty":
                        not_before[i] = t + self.rng.uniform(2, 5)
                pull = t - last_pull[i] > pull_every
                if (device.queue or (self.waiting[i] and pull)) and not_before[i] <= t and plan.online(t):
                    if pull:
                        last_pull[i] = t
                    busy[i] = asyncio.create_task(self._sync(i, pull))
            if t >= 0.6 * seconds and len(self.knocked) < len(self.ward.leaders) and \
                    (knocking is None or knocking.done()):
                knocking = asyncio.create_task(self._door_knock())
            if t >= next_sample:
                next_sample += 5
                answered = sum(len(d.results) for d in self.devices)
                self.run.applied_per_s.append((answered - answered_before) / 5)
                answered_before = answered
                self._sample_memory()
                reported = await asyncio.to_thread(
                    count, self.url, "SELECT count(*) FROM safety_status WHERE incident_id = :i", i=self.incident)
                self.run.coverage.append((t, 100.0 * reported / n))
            progress.show(t, self.devices, busy)
            await asyncio.sleep(0.25)
        await asyncio.gather(*busy.values(), *([knocking] if knocking else []), return_exceptions=True)

    async def _door_knock(self) -> None:
        """Each association's leader reads the roll-call and reports for unanswered homes
        (a leader whose roll-call did not load tries again a moment later)."""
        for association, leaders in self.ward.leaders.items():
            if association in self.knocked:
                continue
            leader = self.ward.residents[leaders[0]]
            reply = await self.transport.execute(
                "RollCall", {"associationId": self.ward.associations[association], "incidentId": self.incident},
                leader.token)
            try:
                households = reply.body["data"]["rollCall"]["households"]
            except (TypeError, KeyError):
                continue  # no network for the leader right now: they knock next time
            self.knocked.add(association)
            unanswered = {h["id"] for h in households if not h["answered"]}
            for args in scenario.door_knock(self.ward, self.incident, association, unanswered, self.rng):
                self.devices[leaders[0]].enqueue("checkIn", args)
                self.run.door_knocks += 1

    async def recover(self, progress: Progress, seconds: float) -> None:
        """Everyone back online: every queue is sent; residents who had not seen the circular
        or a listing yet open the app, pull and act on it, and that is sent too; then every
        phone pulls until it is current."""
        started = time.monotonic()
        await self._send_everything(progress, seconds)
        late = [i for i, actions in enumerate(self.waiting) if actions]
        if late:
            await self._pull(late)
            for i in late:
                self._act(i)
            await self._send_everything(progress, seconds)
        await self._pull(range(len(self.devices)))
        self.run.recovery_s = time.monotonic() - started

    async def _send_everything(self, progress: Progress, seconds: float) -> None:
        """It gives up only when nothing has been answered for RECOVERY_PATIENCE seconds."""
        last_progress = time.monotonic()
        answered = -1
        while time.monotonic() - last_progress < RECOVERY_PATIENCE:
            if len(self.knocked) < len(self.ward.leaders):  # a leader who could not load it yet
                await self._door_knock()
            sending = [i for i, d in enumerate(self.devices) if d.queue]
            if not sending:
                break
            outcomes = await asyncio.gather(*(self._sync(i, False) for i in sending))
            now_answered = sum(len(d.results) for d in self.devices)
            if now_answered != answered:
                answered, last_progress = now_answered, time.monotonic()
            if any(o != "empty" for o in outcomes):
                await asyncio.sleep(1.0)  # overloaded or cut off: let the server breathe
            progress.show(seconds, self.devices, {}, recovering=True)
            self._sample_memory()

    async def _pull(self, indexes: range | list[int]) -> None:
        """Pull until current; a phone whose pull failed tries again (five times in all)."""
        pending = list(indexes)
        for _ in range(5):
            done = await asyncio.gather(*(self._pull_one(i) for i in pending))
            pending = [i for i, ok in zip(pending, done, strict=True) if not ok]
            if not pending:
                break

    async def _pull_one(self, index: int) -> bool:
        async with self.slots:
            try:
                await self.devices[index].pull_all(limit=500)
                return True
            except PullFailed:
                return False

    def _sample_memory(self) -> None:
        self.run.worker_peak_mb = max([self.run.worker_peak_mb, *self.server.worker_rss_mb()])
