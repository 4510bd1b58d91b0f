"""`otagai drill`: seed a ward, start the server, play the scenario with faults, recover,
verify and report. Exit status 1 when anything was lost, doubled or did not converge, or an
emergency broadcast did not reach every subscribed phone of its association."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from backend.api.drill import scenario
from backend.api.drill.phones import Phones, Run
from backend.api.drill.processes import FaultProxy, ServerProcess
from backend.api.drill.push_sink import PushSink, PushVerdict
from backend.api.drill.report import Progress, render
from backend.api.drill.transport import HttpTransport
from backend.api.drill.truth import count, emergency_broadcasts
from backend.api.drill.verify import verify
from backend.api.drill.ward import (
    DEMO_SHELTERS,
    build_ward,
    import_shelters,
    members_by_association,
    open_drill,
    seed,
)
from backend.api.migrate import upgrade
from backend.core.db import sqlite_path
from backend.push.models import PushSubscription

FAULTS = ("kill", "net", "db", "clock")
PUSH_PATIENCE = 60.0  # seconds without a single push delivered before giving up on the rest
PHONE_SHARE = 0.5  # residents whose phone is subscribed to Web Push


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
    push_lease_s: float | None = None  # None: the server's default (30 s), as deployed


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
        self.sink = PushSink()

    async def prepare(self) -> None:
        await asyncio.to_thread(upgrade, self.url)
        if count(self.url, "SELECT count(*) FROM account_user"):
            raise DrillError("the drill needs an empty database (it seeds its own ward)")
        shelters = await import_shelters(self.url, self.o.shelters_file, 30)
        self.shelter_ids = [s for s, _, _ in shelters]
        associations = max(1, min(200, self.o.residents // 100))
        self.ward = build_ward(residents=self.o.residents, associations=associations,
                               shelters=len(self.shelter_ids), rng=self.rng)
        self.members = members_by_association(self.ward.homes)
        self.phones = {i: f"phone{i:05d}" for i in range(self.o.residents) if self.rng.random() < PHONE_SHARE}
        subscriptions = self.sink.subscription_rows(
            {phone: self.ward.residents[i].id for i, phone in self.phones.items()})
        await asyncio.to_thread(seed, self.url, self.ward, self.shelter_ids, [(PushSubscription, subscriptions)])
        self.incident = await open_drill(self.url, "防災訓練 (otagai drill)")
        self.plans = scenario.plan_drill(self.ward, self.incident, self.shelter_ids, self.o.seconds, self.rng,
                                         skew_clocks="clock" in self.o.faults,
                                         area=[(lat, lon) for _, lat, lon in shelters])

    async def execute(self, out: Any) -> int:
        self.sink.start()
        try:
            return await self._execute(out)
        finally:
            self.sink.stop()

    async def _execute(self, out: Any) -> int:
        db_proxy = None
        server_url = self.url
        if "db" in self.o.faults and self.url.startswith("postgresql"):
            db_proxy = FaultProxy(urlsplit(self.url).port or 5432)
            await db_proxy.start()
            server_url = _through(self.url, db_proxy.port)
        server = ServerProcess(server_url, self.workdir, self.o.workers, push_lease_s=self.o.push_lease_s)
        await asyncio.to_thread(server.start)
        net = FaultProxy(server.port, drop_rate=0.03 if "net" in self.o.faults else 0.0, seed=self.o.seed)
        await net.start()
        limits = httpx.Limits(max_connections=self.o.concurrency * 2, max_keepalive_connections=self.o.concurrency)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{net.port}", timeout=60, limits=limits) as http:
                phones = Phones(ward=self.ward, plans=self.plans, server=server, run=self.run, rng=self.rng,
                                transport=HttpTransport(http, self.run.latencies, self.run.errors), url=self.url,
                                incident=self.incident, concurrency=self.o.concurrency)
                progress = Progress(self.o.seconds, enabled=self.o.progress)
                calm = asyncio.Event()
                faults = asyncio.create_task(self._faults(server, net, db_proxy, calm))
                await phones.play(self.o.seconds, progress)
                calm.set()  # the fault loop ends after its current step: the server is up again
                await faults
                net.drop_rate = 0.0
                await phones.recover(progress, self.o.seconds)
                progress.done()
            push = await self._await_push()
            verdict = await asyncio.to_thread(verify, self.url, self.incident, phones.devices, self.ward)
        finally:
            await net.close()
            await asyncio.to_thread(server.stop)
            if db_proxy is not None:
                await db_proxy.close()
        render(out, self, verdict, push, server, net, db_proxy)
        whole = verdict.lost == 0 and verdict.doubled == 0 and verdict.converged == verdict.devices
        return 0 if whole and push.complete else 1

    async def _faults(self, server: ServerProcess, net: FaultProxy, db_proxy: FaultProxy | None,
                      calm: asyncio.Event) -> None:
        """Kills and the database outage on their own clocks: a restart that takes long on a
        busy machine does not put the outage off until after the play."""
        started = time.monotonic()
        outage_at = self.o.seconds * 0.4
        outage_done = "db" not in self.o.faults
        next_kill = self.rng.uniform(0.1, 0.25) * self.o.seconds if "kill" in self.o.faults else float("inf")
        tasks: list[asyncio.Task[None]] = []
        killing: asyncio.Task[None] | None = None
        while not calm.is_set():
            t = time.monotonic() - started
            if killing is not None and killing.done():  # up again: the next kill a while later
                killing, next_kill = None, t + self.rng.uniform(0.15, 0.3) * self.o.seconds
            if killing is None and t >= next_kill:
                killing = asyncio.create_task(self._kill_and_restart(server))
                tasks.append(killing)
            if not outage_done and t >= outage_at:
                outage_done = True
                path = sqlite_path(self.url)
                if db_proxy is not None:
                    tasks.append(asyncio.create_task(db_proxy.outage(10.0)))
                elif path is not None:
                    tasks.append(asyncio.create_task(_hold_sqlite(path, 10.0)))
                self.run.errors["fault: database unavailable 10 s"] = 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(calm.wait(), 0.25)
        await asyncio.gather(*tasks)  # the server is up again, the database back

    async def _kill_and_restart(self, server: ServerProcess) -> None:
        await asyncio.to_thread(server.kill)
        await asyncio.sleep(self.rng.uniform(0.5, 2.0))
        await asyncio.to_thread(server.restart)

    async def _await_push(self) -> PushVerdict:
        """Until every emergency broadcast reached every subscribed phone of its association,
        or no push at all arrived for PUSH_PATIENCE seconds."""
        started = last = time.monotonic()
        association = {a: i for i, a in enumerate(self.ward.associations)}
        broadcasts = {
            post: (b.created_at, {self.phones[r] for r in self.members[association[b.association_id]]
                                  if r in self.phones})
            for post, b in (await asyncio.to_thread(emergency_broadcasts, self.url)).items()}
        seen = -1
        while True:
            verdict = self.sink.tally(broadcasts)
            now = time.monotonic()
            if len(self.sink.received) != seen:
                seen, last = len(self.sink.received), now
            if verdict.delivered >= verdict.expected or now - last > PUSH_PATIENCE:
                self.run.push_wait_s = now - started
                return verdict
            await asyncio.sleep(0.5)


async def run_drill(options: DrillOptions, out: Any = print) -> int:
    with tempfile.TemporaryDirectory(prefix="otagai-drill-") as workdir:
        drill = Drill(options, Path(workdir))
        await drill.prepare()
        print(f"drill: {options.residents:,} residents seeded; playing {options.seconds:.0f} s "
              f"with faults: {','.join(sorted(options.faults)) or 'none'}", file=sys.stderr)
        return await drill.execute(out)
