"""`otagai drill`: seed a ward, start the server, play the scenario with faults, recover,
verify and report. Exit status 1 when anything was lost, doubled or did not converge."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import sqlalchemy as sa

from backend.api.drill import scenario
from backend.api.drill.outbox import OutboxClient, PullFailed
from backend.api.drill.processes import FaultProxy, ServerProcess
from backend.api.drill.report import Progress, render
from backend.api.drill.transport import HttpTransport
from backend.api.drill.verify import verify
from backend.api.drill.ward import DEMO_SHELTERS, build_ward, import_shelters, open_drill, seed
from backend.api.migrate import upgrade
from backend.core.db import driver_url, sqlite_path

FAULTS = ("kill", "net", "db", "clock")
RECOVERY_PATIENCE = 120.0  # seconds without a single answered action before giving up


class DrillError(Exception):
    """A one-line reason the drill could not start."""


@dataclass
class DrillOptions:
    residents: int = 20_000
    faults: frozenset[str] = frozenset()
    database_url: str | None = None
    workers: int = 1
    seconds: float = 120.0
    shelters_file: Path = DEMO_SHELTERS
    concurrency: int = 32
    seed: int = 1
    progress: bool = True


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


def parse_faults(text: str) -> frozenset[str]:
    if text in ("", "none"):
        return frozenset()
    if text == "all":
        return frozenset(FAULTS)
    chosen = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = chosen - set(FAULTS)
    if unknown:
        raise DrillError(f"unknown fault(s) {', '.join(sorted(unknown))}; choose from none, all, {', '.join(FAULTS)}")
    return chosen


def _count(url: str, sql: str, **params: Any) -> int:
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


def _through(url: str, port: int) -> str:
    """The same PostgreSQL URL, reached through a local proxy port."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, f"{user}127.0.0.1:{port}", parts.path, parts.query, parts.fragment))


async def _hold_sqlite(path: Path, seconds: float) -> None:
    """The SQLite 'database unavailable' fault: another process holds the write lock."""
    def hold() -> None:
        conn = sqlite3.connect(path, timeout=30)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            time.sleep(seconds)
            conn.rollback()
        finally:
            conn.close()

    await asyncio.to_thread(hold)


class Drill:
    def __init__(self, options: DrillOptions, workdir: Path) -> None:
        self.o = options
        self.workdir = workdir
        self.rng = random.Random(options.seed)
        self.run = Run()
        self.url = options.database_url or f"sqlite:///{workdir / 'drill.sqlite3'}"

    async def prepare(self) -> None:
        await asyncio.to_thread(upgrade, self.url)
        if _count(self.url, "SELECT count(*) FROM account_user"):
            raise DrillError("the drill needs an empty database (it seeds its own ward)")
        shelters = await import_shelters(self.url, self.o.shelters_file, 30)
        self.shelter_ids = [s for s, _, _ in shelters]
        associations = max(1, min(200, self.o.residents // 100))
        self.ward = build_ward(residents=self.o.residents, associations=associations,
                               shelters=len(self.shelter_ids), rng=self.rng)
        await asyncio.to_thread(seed, self.url, self.ward, self.shelter_ids)
        self.incident = await open_drill(self.url, "防災訓練 (otagai drill)")
        self.plans = scenario.plan_drill(self.ward, self.incident, self.shelter_ids, self.o.seconds, self.rng,
                                         skew_clocks="clock" in self.o.faults)

    async def execute(self, out: Any) -> int:
        db_proxy = None
        server_url = self.url
        if "db" in self.o.faults and self.url.startswith("postgresql"):
            db_proxy = FaultProxy(urlsplit(self.url).port or 5432)
            await db_proxy.start()
            server_url = _through(self.url, db_proxy.port)
        server = self._server = ServerProcess(server_url, self.workdir, self.o.workers)
        await asyncio.to_thread(server.start)
        net = FaultProxy(server.port, drop_rate=0.03 if "net" in self.o.faults else 0.0, seed=self.o.seed)
        await net.start()
        limits = httpx.Limits(max_connections=self.o.concurrency * 2, max_keepalive_connections=self.o.concurrency)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{net.port}", timeout=60, limits=limits) as http:
                transport = HttpTransport(http, self.run.latencies, self.run.errors)
                self.devices = [
                    OutboxClient(transport, r.token, r.id, app_version="drill-1",
                                 clock=(lambda skew=plan.skew: datetime.now(UTC) + skew))
                    for r, plan in zip(self.ward.residents, self.plans, strict=True)
                ]
                progress = Progress(self.o.seconds, enabled=self.o.progress)
                calm = asyncio.Event()
                faults = asyncio.create_task(self._faults(server, net, db_proxy, calm))
                await self._play(progress, transport)
                calm.set()  # the fault loop ends after its current step: the server is up again
                await faults
                net.drop_rate = 0.0
                await self._recover(progress)
                progress.done()
            verdict = await asyncio.to_thread(verify, self.url, self.incident, self.devices)
        finally:
            await net.close()
            await asyncio.to_thread(server.stop)
            if db_proxy is not None:
                await db_proxy.close()
        render(out, self, verdict, server, net, db_proxy)
        return 0 if verdict.lost == 0 and verdict.doubled == 0 and verdict.converged == verdict.devices else 1

    async def _faults(self, server: ServerProcess, net: FaultProxy, db_proxy: FaultProxy | None,
                      calm: asyncio.Event) -> None:
        started = time.monotonic()
        outage_at = self.o.seconds * 0.4
        outage_done = "db" not in self.o.faults
        next_kill = self.rng.uniform(0.1, 0.25) * self.o.seconds if "kill" in self.o.faults else float("inf")
        outages: list[asyncio.Task[None]] = []
        while not calm.is_set():
            t = time.monotonic() - started
            if t >= next_kill:
                await asyncio.to_thread(server.kill)
                await asyncio.sleep(self.rng.uniform(0.5, 2.0))
                await asyncio.to_thread(server.restart)
                next_kill = time.monotonic() - started + self.rng.uniform(0.15, 0.3) * self.o.seconds
            if not outage_done and t >= outage_at:
                outage_done = True
                path = sqlite_path(self.url)
                if db_proxy is not None:
                    outages.append(asyncio.create_task(db_proxy.outage(10.0)))
                elif path is not None:
                    outages.append(asyncio.create_task(_hold_sqlite(path, 10.0)))
                self.run.errors["fault: database unavailable 10 s"] = 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(calm.wait(), 0.5)
        await asyncio.gather(*outages)

    async def _sync(self, index: int, pull: bool) -> str:
        device = self.devices[index]
        async with self._slots:
            report = await device.drain(max_batches=3)
            if pull and report.stopped_because == "empty":
                try:
                    await device.pull_all(limit=200, max_pages=50)
                except PullFailed:
                    return "pull-failed"
        return report.stopped_because

    async def _play(self, progress: Progress, transport: HttpTransport) -> None:
        self._slots = asyncio.Semaphore(self.o.concurrency)
        self._transport = transport
        n = len(self.devices)
        next_action = [0] * n
        not_before = [0.0] * n
        last_pull = [0.0] * n
        busy: dict[int, asyncio.Task[str]] = {}
        knocked = self._knocked = set()
        self._answered = 0
        started = time.monotonic()
        next_sample = 0.0
        while (t := time.monotonic() - started) < self.o.seconds:
            for i in range(n):
                plan, device = self.plans[i], self.devices[i]
                while next_action[i] < len(plan.actions) and plan.actions[next_action[i]].at <= t:
                    action = plan.actions[next_action[i]]
                    device.enqueue(action.name, action.args)
                    next_action[i] += 1
                task = busy.get(i)
                if task is not None:
                    if not task.done():
                        continue
                    del busy[i]
                    if task.result() != "empty":
                        not_before[i] = t + self.rng.uniform(2, 5)
                if device.queue and not_before[i] <= t and plan.online(t):
                    pull = t - last_pull[i] > 20
                    if pull:
                        last_pull[i] = t
                    busy[i] = asyncio.create_task(self._sync(i, pull))
            if t >= 0.6 * self.o.seconds and len(knocked) < len(self.ward.leaders):
                knocked |= await self._door_knock(transport, knocked)
            if t >= next_sample:
                next_sample += 5
                answered = sum(len(d.results) for d in self.devices)
                self.run.applied_per_s.append((answered - self._answered) / 5)
                self._answered = answered
                self.run.worker_peak_mb = max([self.run.worker_peak_mb, *self._server.worker_rss_mb()])
                answered = await asyncio.to_thread(
                    _count, self.url, "SELECT count(*) FROM safety_status WHERE incident_id = :i", i=self.incident)
                self.run.coverage.append((t, 100.0 * answered / n))
            progress.show(t, self.devices, busy)
            await asyncio.sleep(0.25)
        await asyncio.gather(*busy.values(), return_exceptions=True)

    async def _door_knock(self, transport: HttpTransport, knocked: set[int]) -> set[int]:
        """Each association's leader reads the roll-call and reports for unanswered homes
        (a leader whose roll-call did not load tries again a moment later)."""
        done: set[int] = set()
        for association, leaders in self.ward.leaders.items():
            if association in knocked:
                continue
            leader = self.ward.residents[leaders[0]]
            reply = await transport.execute(
                "RollCall", {"associationId": self.ward.associations[association], "incidentId": self.incident},
                leader.token)
            try:
                households = reply.body["data"]["rollCall"]["households"]
            except (TypeError, KeyError):
                continue  # no network for the leader right now: they knock next time
            done.add(association)
            unanswered = {h["id"] for h in households if not h["answered"]}
            for args in scenario.door_knock(self.ward, self.incident, association, unanswered, self.rng):
                self.devices[leaders[0]].enqueue("checkIn", args)
                self.run.door_knocks += 1
        return done

    async def _recover(self, progress: Progress) -> None:
        """Everyone back online: send every queue, then every phone pulls until it is current.
        It gives up only when nothing has been answered for RECOVERY_PATIENCE seconds."""
        started = last_progress = time.monotonic()
        answered = -1
        while time.monotonic() - last_progress < RECOVERY_PATIENCE:
            if len(self._knocked) < len(self.ward.leaders):  # a leader who could not load it yet
                self._knocked |= await self._door_knock(self._transport, self._knocked)
            waiting = [i for i, d in enumerate(self.devices) if d.queue]
            if not waiting:
                break
            outcomes = await asyncio.gather(*(self._sync(i, False) for i in waiting))
            now_answered = sum(len(d.results) for d in self.devices)
            if now_answered != answered:
                answered, last_progress = now_answered, time.monotonic()
            if any(o != "empty" for o in outcomes):
                await asyncio.sleep(1.0)  # overloaded or cut off: let the server breathe
            progress.show(self.o.seconds, self.devices, {}, recovering=True)
            self.run.worker_peak_mb = max([self.run.worker_peak_mb, *self._server.worker_rss_mb()])
        pending = list(range(len(self.devices)))
        for _ in range(5):  # pulls; a phone whose pull failed tries again
            done = await asyncio.gather(*(self._pull(i) for i in pending))
            pending = [i for i, ok in zip(pending, done, strict=True) if not ok]
            if not pending:
                break
        self.run.recovery_s = time.monotonic() - started

    async def _pull(self, index: int) -> bool:
        async with self._slots:
            try:
                await self.devices[index].pull_all(limit=500)
                return True
            except PullFailed:
                return False


async def run_drill(options: DrillOptions, out: Any = print) -> int:
    with tempfile.TemporaryDirectory(prefix="otagai-drill-") as workdir:
        drill = Drill(options, Path(workdir))
        await drill.prepare()
        print(f"drill: {options.residents:,} residents seeded; playing {options.seconds:.0f} s "
              f"with faults: {','.join(sorted(options.faults)) or 'none'}", file=sys.stderr)
        return await drill.execute(out)
