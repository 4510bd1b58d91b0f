"""Benchmark: offline actions pushed to a running server, and a large pull.

N devices (each its own user) x M queued `updateProfile` actions are pushed in batches of
100 against a real `otagai serve` process on 127.0.0.1, with up to `--concurrency` devices
pushing at once (each device sends its batches in seq order, one at a time, like the PWA
outbox). Then `--pull-changes` ward-visible test notes are pushed (the test plugin
`tests.support.test_actions`, table `test_note`) and a fresh user pulls all of them from
cursor null with limit 500; that pull is timed.

Printed and written to docs/BENCHMARKS.md (with --write-docs): applied actions/s, p50/p99
batch latency, the pull time, and the server's peak RSS (sampled from /proc every 50 ms,
the server process and its children), with the machine and the exact command.

Exactly-once is checked at the end: every action answered APPLIED exactly once, the
mutation log holds exactly the actions sent, each device's lastProcessedSeq is M and each
profile's final version is M + 1 with the last display name.

Run:  .venv/bin/python bench/sync_push.py --database both --write-docs
Each run makes its own database (a SQLite file in a temp dir; PostgreSQL database
otagai_bench_<random>, dropped at the end). Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.api.migrate import upgrade
from backend.core.db import driver_url
from backend.core.ids import uuid7

PG_ADMIN_URL = os.environ.get("OTAGAI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DOCS = ROOT / "docs" / "BENCHMARKS.md"
OPS = ROOT / "graphql" / "operations"
PUSH = (OPS / "sync" / "Push.graphql").read_text()
PULL = (OPS / "sync" / "Pull.graphql").read_text()
REGISTER = (OPS / "accounts" / "Register.graphql").read_text()
BATCH = 100
PULL_LIMIT = 500
FINAL = {"APPLIED", "DUPLICATE", "REJECTED", "CONFLICT_RESOLVED"}
TARGETS = {"pg_actions_per_s": 2000.0, "pull_s": 5.0, "rss_mb": 300.0}


# -- the machine ----------------------------------------------------------------------------

def _meminfo_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _pg_version() -> str:
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except psycopg.Error:
        return "unavailable"


def machine() -> dict[str, str]:
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{_meminfo_mb():,} MB",
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "postgresql": _pg_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- server memory ---------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(c) for c in text)
    except OSError:
        pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pid: int) -> int:
    """RSS of a process and all its descendants (uvicorn workers, if any)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss_kb(current)
        stack.extend(_children(current))
    return total


class RssSampler:
    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.pid = pid
        self.every = every
        self.peak_kb = 0
        self.phase_peaks: dict[str, int] = {}
        self.phase = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = tree_rss_kb(self.pid)
            self.peak_kb = max(self.peak_kb, rss)
            self.phase_peaks[self.phase] = max(self.phase_peaks.get(self.phase, 0), rss)
            self._stop.wait(self.every)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# -- databases and the server ----------------------------------------------------------------

def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def create_database(kind: str, workdir: Path, pg_socket: str | None = None) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        name = f"otagai_bench_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        if pg_socket:  # the server talks to PostgreSQL over its Unix socket instead of TCP
            url = f"postgresql://postgres@/{name}?host={pg_socket}"
    upgrade(url)
    # The test plugin's table, for the ward-visible notes of the pull benchmark.
    from tests.support.databases import test_metadata

    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    test_metadata.create_all(engine)
    engine.dispose()
    return url


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, url: str, workdir: Path, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "OTAGAI_DATABASE_URL": url,
            "OTAGAI_DATA_DIR": str(workdir),
            "OTAGAI_PLUGINS": "tests.support.test_actions:register",
            "OTAGAI_RATE_LIMITS": "off",
            "PYTHONPATH": str(ROOT),
        }
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.api.cli", "serve", "--port", str(self.port),
             "--workers", str(self.workers)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


# -- clients ---------------------------------------------------------------------------------

@dataclass
class Device:
    token: str
    user_id: str
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    server_epoch: str | None = None
    last_processed_seq: int = 0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class PushStats:
    latencies: list[float] = field(default_factory=list)
    batches: int = 0
    retries: int = 0
    sent_actions: int = 0
    applied: int = 0
    other: dict[str, int] = field(default_factory=dict)
    failures: dict[int, int] = field(default_factory=dict)  # HTTP status → count (not 503)


async def gql(http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def register(http: httpx.AsyncClient, count: int, label: str, concurrency: int) -> list[Device]:
    sem = asyncio.Semaphore(concurrency)
    run = uuid.uuid4().hex[:6]

    async def one(i: int) -> Device:
        async with sem:
            response = await gql(http, REGISTER, {"input": {
                "email": f"{label}{i}-{run}@bench.example", "password": "benchmark password",
                "displayName": f"{label} {i}"}})
            data = response.json()["data"]["register"]
            assert data["__typename"] == "AuthSuccess", data
            return Device(data["token"], data["user"]["id"])

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def envelope(seq: int, action: str, args: dict[str, Any], args_version: int = 1) -> dict[str, Any]:
    return {
        "mutationId": uuid7(),
        "seq": seq,
        "clientTime": datetime.now(UTC).isoformat(),
        "argsVersion": args_version,
        "args": {action: args},
    }


async def drain(http: httpx.AsyncClient, device: Device, queue: list[dict[str, Any]], stats: PushStats) -> None:
    """Send a device's queue in batches of 100 until every action has a final result."""
    pending = list(queue)
    while pending:
        batch = pending[:BATCH]
        variables = {"input": {
            "clientId": device.client_id, "serverEpoch": device.server_epoch, "appVersion": "bench-1",
            "sentAt": datetime.now(UTC).isoformat(), "mutations": batch,
        }}
        started = time.perf_counter()
        response = await gql(http, PUSH, variables, device.token)
        elapsed = time.perf_counter() - started
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 500 or body is None:
            # Like the outbox: the batch stays queued and is sent again (503 is overload;
            # anything else is counted as a server failure in the report).
            stats.retries += 1
            if response.status_code != 503:
                stats.failures[response.status_code] = stats.failures.get(response.status_code, 0) + 1
                if sum(stats.failures.values()) > 200:
                    raise RuntimeError(f"push failing: HTTP {response.status_code} {response.text[:300]}")
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"push failed: HTTP {response.status_code} {str(body)[:500]}")
        stats.latencies.append(elapsed)
        stats.batches += 1
        payload = body["data"]["push"]
        device.server_epoch = payload["serverEpoch"]
        device.last_processed_seq = payload["lastProcessedSeq"]
        done = 0
        for result in payload["results"]:
            if result["status"] not in FINAL:
                break
            if result["mutationId"] not in device.results:
                device.results[result["mutationId"]] = result
                if result["status"] == "APPLIED":
                    stats.applied += 1
                else:
                    stats.other[result["status"]] = stats.other.get(result["status"], 0) + 1
            done += 1
        if done < len(batch):
            stats.retries += 1
            retry_ms = payload.get("retryAfterMs") or 200
            await asyncio.sleep(retry_ms / 1000)
        pending = pending[done:]


async def push_all(http: httpx.AsyncClient, work: list[tuple[Device, list[dict[str, Any]]]],
                   concurrency: int) -> tuple[PushStats, float]:
    stats = PushStats(sent_actions=sum(len(q) for _, q in work))
    sem = asyncio.Semaphore(concurrency)

    async def one(device: Device, queue: list[dict[str, Any]]) -> None:
        async with sem:
            await drain(http, device, queue, stats)

    started = time.perf_counter()
    await asyncio.gather(*(one(d, q) for d, q in work))
    return stats, time.perf_counter() - started


async def pull_all(http: httpx.AsyncClient, device: Device) -> tuple[dict[tuple[str, str], dict[str, Any]], int, float]:
    replica: dict[tuple[str, str], dict[str, Any]] = {}
    cursor: str | None = None
    pages = 0
    started = time.perf_counter()
    while True:
        response = await gql(http, PULL, {"input": {"cursor": cursor, "limit": PULL_LIMIT}}, device.token)
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"pull failed: HTTP {response.status_code} {str(body)[:500]}")
        page = body["data"]["pull"]
        pages += 1
        if page["resetRequired"]:
            replica.clear()
        for change in page["changes"]:
            key = (change["entityType"], change["entityId"])
            if change["op"] == "DELETE":
                replica.pop(key, None)
            else:
                replica[key] = change
        cursor = page["cursor"]
        if not page["hasMore"]:
            break
    return replica, pages, time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# -- one database ----------------------------------------------------------------------------

def verify_database(url: str, devices: list[Device], actions: int, expected_log: int) -> dict[str, Any]:
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            by_status = dict(conn.execute(sa.text(
                "SELECT status, count(*) FROM sync_mutation GROUP BY status")).all())
            distinct = conn.execute(sa.text(
                "SELECT count(*) FROM (SELECT DISTINCT client_id, seq FROM sync_mutation) s")).scalar_one()
            ids = [d.user_id for d in devices]
            versions = dict(conn.execute(
                sa.text("SELECT id, version FROM account_user WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)), {"ids": ids}).all())
            last_seqs = dict(conn.execute(
                sa.text("SELECT client_id, last_seq FROM sync_client WHERE client_id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)), {"ids": [d.client_id for d in devices]}).all())
    finally:
        engine.dispose()
    problems = []
    total = sum(by_status.values())
    if total != expected_log or by_status.get("APPLIED", 0) != expected_log:
        problems.append(f"mutation log {by_status}, expected {expected_log} APPLIED")
    if distinct != total:
        problems.append(f"{total - distinct} (client, seq) pairs logged twice")
    bad_versions = [u for u in ids if versions.get(u) != actions + 1]
    if bad_versions:
        problems.append(f"{len(bad_versions)} profiles not at version {actions + 1}")
    bad_seqs = [d.client_id for d in devices if last_seqs.get(d.client_id) != actions]
    if bad_seqs:
        problems.append(f"{len(bad_seqs)} clients with last_seq != {actions}")
    for d in devices:
        if d.last_processed_seq != actions or len(d.results) != actions:
            problems.append(f"device {d.client_id}: lastProcessedSeq {d.last_processed_seq}")
            break
        if any(r["status"] != "APPLIED" for r in d.results.values()):
            problems.append(f"device {d.client_id}: results other than APPLIED")
            break
    return {"log": by_status, "problems": problems}


async def run_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"otagai-bench-{kind}-"))
    url = create_database(kind, workdir, args.pg_socket)
    server = Server(url, workdir, args.workers)
    sampler: RssSampler | None = None
    finished = False
    try:
        server.start()
        print(f"[{kind}] server pid {server.process.pid if server.process else None} on {server.base}", flush=True)
        assert server.process is not None
        sampler = RssSampler(server.process.pid)
        sampler.start()
        await asyncio.sleep(0.3)
        idle_kb = tree_rss_kb(server.process.pid)
        limits = httpx.Limits(max_connections=max(args.concurrency, 4) + 2, max_keepalive_connections=max(args.concurrency, 4) + 2)
        async with httpx.AsyncClient(base_url=server.base, timeout=120, limits=limits) as http:
            # Accounts first (argon2 hashing is slow and memory-hungry on purpose: its own phase).
            sampler.phase = "register"
            devices = await register(http, args.devices, "device", args.register_concurrency)
            writers = (await register(http, min(args.concurrency, 10), "writer", args.register_concurrency)
                       if args.pull_changes else [])
            [warm, solo, puller] = await register(http, 3, "extra", args.register_concurrency)
            # Warm up (parser/validation caches, connection pool) with one batch of a spare user.
            sampler.phase = "warmup"
            warm_stats = PushStats(sent_actions=10)
            await drain(http, warm, [envelope(s, "updateProfile", {"displayName": f"w{s}"}) for s in range(1, 11)], warm_stats)

            # 1. N devices x M updateProfile actions, `concurrency` devices at once.
            work = [
                (d, [envelope(s, "updateProfile", {"displayName": f"device {i} action {s}"})
                     for s in range(1, args.actions_per_device + 1)])
                for i, d in enumerate(devices)
            ]
            sampler.phase = "push"
            load_before = loadavg()
            stats, wall = await push_all(http, work, args.concurrency)
            load_after = loadavg()

            # 2. One device alone: batch latency without other pushes queued in the server.
            sampler.phase = "solo"
            solo_queue = [envelope(s, "updateProfile", {"displayName": f"solo {s}"})
                          for s in range(1, args.solo_batches * BATCH + 1)]
            solo_stats, _ = await push_all(http, [(solo, solo_queue)], 1)

            # 3. Ward-visible notes for the pull benchmark, pushed by a few writer devices.
            note_stats, note_wall, pull_s, pages, pulled, pulled_notes = PushStats(), 0.0, 0.0, 0, 0, 0
            if args.pull_changes:
                sampler.phase = "notes"
                per = -(-args.pull_changes // len(writers))
                note_work = []
                left = args.pull_changes
                for w in writers:
                    n = min(per, left)
                    left -= n
                    note_work.append((w, [
                        envelope(s, "testNote", {"id": str(uuid.uuid4()), "text": f"note {s} of {w.user_id[:8]}", "tag": "bench"}, 2)
                        for s in range(1, n + 1)]))
                note_stats, note_wall = await push_all(http, note_work, args.concurrency)
                # 4. A new user pulls everything from the start.
                sampler.phase = "pull"
                replica, pages, pull_s = await pull_all(http, puller)
                pulled = len(replica)
                pulled_notes = sum(1 for k in replica if k[0] == "TestNote")
            sampler.phase = "end"
            await asyncio.sleep(0.2)
        verify = verify_database(url, devices, args.actions_per_device,
                                 stats.sent_actions + note_stats.sent_actions + warm_stats.sent_actions
                                 + solo_stats.sent_actions)
        if solo_stats.applied != solo_stats.sent_actions:
            verify["problems"].append(f"solo: {solo_stats.applied} of {solo_stats.sent_actions} applied")
        if args.pull_changes and pulled_notes != args.pull_changes:
            verify["problems"].append(f"pulled {pulled_notes} notes, expected {args.pull_changes}")
        if note_stats.applied != note_stats.sent_actions:
            verify["problems"].append(f"notes: {note_stats.applied} of {note_stats.sent_actions} applied")
        finished = True
    finally:
        if sampler is not None:
            sampler.stop()
        server.stop()
        drop_database(url)
        if finished:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"[{kind}] failed; server log kept in {workdir}", file=sys.stderr)
    lat = stats.latencies
    return {
        "database": kind,
        "actions": stats.sent_actions,
        "applied": stats.applied,
        "wall_s": wall,
        "actions_per_s": stats.applied / wall if wall else 0.0,
        "batches": stats.batches,
        "retries": stats.retries,
        "failures": {**stats.failures, **{f"notes {k}": v for k, v in note_stats.failures.items()}},
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "solo_p50_ms": percentile(solo_stats.latencies, 50) * 1000,
        "solo_p99_ms": percentile(solo_stats.latencies, 99) * 1000,
        "solo_batches": solo_stats.batches,
        "notes": note_stats.sent_actions,
        "notes_per_s": note_stats.applied / note_wall if note_wall else 0.0,
        "notes_p50_ms": percentile(note_stats.latencies, 50) * 1000,
        "notes_p99_ms": percentile(note_stats.latencies, 99) * 1000,
        "pull_changes": pulled,
        "pull_notes": pulled_notes,
        "pull_pages": pages,
        "pull_s": pull_s,
        "idle_rss_mb": idle_kb / 1024,
        "peak_rss_mb": (sampler.peak_kb if sampler else 0) / 1024,
        "peak_rss_sync_mb": max((v for k, v in (sampler.phase_peaks if sampler else {}).items()
                                 if k not in ("start", "register")), default=0) / 1024,
        "phase_rss_mb": {k: v / 1024 for k, v in (sampler.phase_peaks if sampler else {}).items()},
        "load_before": load_before,
        "load_after": load_after,
        "verify": verify,
    }


# -- report ----------------------------------------------------------------------------------

def show(r: dict[str, Any]) -> None:
    ok = "OK" if not r["verify"]["problems"] else "FAILED: " + "; ".join(r["verify"]["problems"])
    print(f"\n== {r['database']} ==")
    print(f"push      {r['applied']:,}/{r['actions']:,} applied in {r['wall_s']:.2f} s = {r['actions_per_s']:,.0f} actions/s "
          f"({r['batches']} batches, {r['retries']} retries, HTTP failures {r['failures'] or 'none'})")
    print(f"latency   p50 {r['p50_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms  mean {r['mean_ms']:.0f} ms per batch of {BATCH}")
    print(f"solo      one device alone: p50 {r['solo_p50_ms']:.0f} ms  p99 {r['solo_p99_ms']:.0f} ms per batch ({r['solo_batches']} batches)")
    if r["notes"]:
        print(f"notes     {r['notes']:,} testNote creates at {r['notes_per_s']:,.0f} actions/s "
              f"(p50 {r['notes_p50_ms']:.0f} ms, p99 {r['notes_p99_ms']:.0f} ms)")
        print(f"pull      {r['pull_changes']:,} changes ({r['pull_notes']:,} notes) in {r['pull_pages']} pages: {r['pull_s']:.2f} s")
    phases = ", ".join(f"{k} {v:.0f}" for k, v in r["phase_rss_mb"].items())
    print(f"memory    server peak RSS {r['peak_rss_mb']:.0f} MB; {r['peak_rss_sync_mb']:.0f} MB outside registration "
          f"(idle {r['idle_rss_mb']:.0f} MB; by phase: {phases})")
    print(f"load avg  {r['load_before']} before push, {r['load_after']} after")
    print(f"verify    exactly-once {ok}")


def targets(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in results:
        if r["database"] == "postgresql":
            met = r["actions_per_s"] >= TARGETS["pg_actions_per_s"]
            lines.append(f"- PostgreSQL ≥ 2,000 applied actions/s (one server process): "
                         f"{r['actions_per_s']:,.0f} — {'met' if met else 'NOT met'}")
        if r["notes"]:
            met = r["pull_s"] < TARGETS["pull_s"]
            lines.append(f"- {r['database']}: pull of {r['pull_changes']:,} changes < 5 s: "
                         f"{r['pull_s']:.2f} s — {'met' if met else 'NOT met'}")
        met = r["peak_rss_mb"] < TARGETS["rss_mb"]
        note = "" if met else (
            f" (outside the registration phase: {r['peak_rss_sync_mb']:.0f} MB"
            f" — {'met' if r['peak_rss_sync_mb'] < TARGETS['rss_mb'] else 'NOT met'})")
        lines.append(f"- {r['database']}: server memory < 300 MB throughout: peak "
                     f"{r['peak_rss_mb']:.0f} MB — {'met' if met else 'NOT met'}{note}")
    return lines


def markdown(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    m = machine()
    cols = " | ".join(r["database"] for r in results)

    def row(label: str, fmt: Any) -> str:
        return f"| {label} | " + " | ".join(fmt(r) for r in results) + " |"

    def phases(r: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v:.0f}" for k, v in r["phase_rss_mb"].items() if k != "start")

    out = [
        "## sync_push — offline actions pushed, and a large pull",
        "",
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `bench/sync_push.py`:",
        "",
        "```",
        command,
        "```",
        "",
        (f"Machine: {m['cores']} cores, {m['memory']} RAM, {m['cpu']}; Python {m['python']}, "
         f"PostgreSQL {m['postgresql']}, SQLite {m['sqlite']}. Server: one `otagai serve` process "
         f"(uvicorn with uvloop and httptools, {args.workers} worker) on 127.0.0.1; the load generator "
         f"(httpx, same machine) shares the 2 cores with the server and the database."),
        "",
        (f"Workload: {args.devices} devices (one user each) × {args.actions_per_device:,} queued "
         f"`updateProfile` actions in batches of {BATCH}, {args.concurrency} devices pushing at once (each "
         f"device one batch at a time, in seq order); then one device alone for {args.solo_batches} "
         f"batches. Pull: {args.pull_changes:,} ward-visible `testNote` creates (the test plugin "
         f"`tests.support.test_actions`) pushed by writer devices, then a new user pulls everything "
         f"from cursor null with limit {PULL_LIMIT} (its own Profile plus the notes)."),
        "",
        f"| | {cols} |",
        "|---|" + "---|" * len(results),
        row("applied actions/s (updateProfile)", lambda r: f"**{r['actions_per_s']:,.0f}**"),
        row(f"batch latency p50 / p99 ({args.concurrency} devices at once)",
            lambda r: f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms"),
        row("batch latency p50 / p99 (one device alone)",
            lambda r: f"{r['solo_p50_ms']:.0f} / {r['solo_p99_ms']:.0f} ms"),
        row("actions applied / sent", lambda r: f"{r['applied']:,} / {r['actions']:,}"),
        row("retried batches (5xx / NOT_PROCESSED)", lambda r: str(r["retries"])),
        row("HTTP failures other than 503", lambda r: ", ".join(f"{k}: {v}" for k, v in r["failures"].items()) or "none"),
        row("testNote creates/s (batch p50 / p99)",
            lambda r: f"{r['notes_per_s']:,.0f} ({r['notes_p50_ms']:.0f} / {r['notes_p99_ms']:.0f} ms)"),
        row("pull: changes, pages, time", lambda r: f"{r['pull_changes']:,}, {r['pull_pages']}, **{r['pull_s']:.2f} s**"),
        row("server peak RSS", lambda r: f"**{r['peak_rss_mb']:.0f} MB**"),
        row("server peak RSS outside registration", lambda r: f"{r['peak_rss_sync_mb']:.0f} MB"),
        row("server RSS by phase, MB", phases),
        row("load average before / after the push phase", lambda r: f"{r['load_before']} / {r['load_after']}"),
        row("exactly-once check", lambda r: "passed" if not r["verify"]["problems"] else
            "FAILED: " + "; ".join(r["verify"]["problems"])),
        "",
        "Targets:",
        "",
        *targets(results),
        "",
    ]
    return "\n".join(out)


DOC_HEADER = """# Benchmarks

Each benchmark in `bench/` prints its figures and, with `--write-docs`, replaces its own
section below. Figures come from a shared 2-core machine: other work may have been running
(the load average is recorded). No timing threshold is ever asserted in a test.
"""


def write_docs(section: str, name: str = "sync_push") -> None:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{section}\n{end}"
    text = DOCS.read_text() if DOCS.exists() else DOC_HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--actions-per-device", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8, help="devices pushing at once")
    parser.add_argument("--solo-batches", type=int, default=20, help="batches one device pushes alone (latency)")
    parser.add_argument("--register-concurrency", type=int, default=8, help="registrations at once")
    parser.add_argument("--pull-changes", type=int, default=50_000, help="notes pushed then pulled (0: skip)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (targets assume 1)")
    parser.add_argument("--pg-socket", metavar="DIR", help="server reaches PostgreSQL over the Unix socket in DIR "
                        "(e.g. /var/run/postgresql) instead of TCP 127.0.0.1:5432")
    parser.add_argument("--write-docs", action="store_true", help=f"replace this section of {DOCS.relative_to(ROOT)}")
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    command = "python bench/sync_push.py " + shlex.join(sys.argv[1:])
    m = machine()
    print(f"machine: {m['cores']} cores, {m['memory']}, {m['cpu']}; Python {m['python']}, "
          f"PostgreSQL {m['postgresql']}, SQLite {m['sqlite']}; load {loadavg()}")
    results = []
    for kind in kinds:
        result = asyncio.run(run_one(kind, args))
        show(result)
        results.append(result)
    print("\nTargets:")
    print("\n".join(targets(results)))
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    if args.write_docs:
        write_docs(markdown(results, args, command))
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")
    return 1 if any(r["verify"]["problems"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
