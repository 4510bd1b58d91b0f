"""What the benchmarks in bench/ share: the machine, fresh databases, a real server process,
server memory sampled from /proc, pushing like the PWA outbox, and their docs section.

Every benchmark runs against its own database (a SQLite file in a temp dir, or a PostgreSQL
database otagai_bench_<random> dropped at the end) and a real `otagai serve` process on
127.0.0.1; traffic never leaves the machine.
"""

from __future__ import annotations

import asyncio
import functools
import os
import platform
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.api.drill.processes import free_port
from backend.api.migrate import upgrade
from backend.core.ids import uuid7

PG_ADMIN_URL = os.environ.get("OTAGAI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DOCS = ROOT / "docs" / "BENCHMARKS.md"
OPS = ROOT / "graphql" / "operations"
PUSH = (OPS / "sync" / "Push.graphql").read_text()
BATCH = 100
FINAL = {"APPLIED", "DUPLICATE", "REJECTED", "CONFLICT_RESOLVED"}


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


def _pg_setting(name: str) -> str:
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            row = conn.execute(f"SHOW {name}").fetchone()
            return str(row[0]) if row else "?"
    except psycopg.Error:
        return "unavailable"


def python_speed_ns() -> float:
    """Nanoseconds per step of a fixed pure-Python loop, best of three: a yardstick for
    comparing figures taken on different machines of the same kind: machines that call
    themselves the same 'AMD EPYC' have run bench/checkin_surge.py with three times the CPU
    per check-in from one session to the next."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best / 2_000_000 * 1e9


@functools.cache
def machine() -> dict[str, str]:
    """Read once per run: the line printed at the start and the one written to the docs are
    the same measurement (the yardstick moves with what the machine is doing)."""
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{_meminfo_mb():,} MB",
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "postgresql": _pg_setting("server_version"),
        "autovacuum": _pg_setting("autovacuum"),
        "sqlite": sqlite3.sqlite_version,
        "speed": f"{python_speed_ns():.0f} ns",
    }


def machine_line() -> str:
    m = machine()
    return (f"{m['cores']} cores, {m['memory']} RAM, {m['cpu']} (Python loop step {m['speed']}, "
            f"bench/harness.python_speed_ns); Python {m['python']}, "
            f"PostgreSQL {m['postgresql']} (autovacuum {m['autovacuum']}), SQLite {m['sqlite']}")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- CPU and memory of processes --------------------------------------------------------------

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


def _tree(pid: int) -> list[int]:
    found, stack, seen = [], [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        found.append(current)
        stack.extend(_children(current))
    return found


def tree_rss_kb(pid: int) -> int:
    """RSS of a process and all its descendants (uvicorn workers, if any)."""
    return sum(_rss_kb(p) for p in _tree(pid))


_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its live descendants."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / _TICKS


def own_cpu_s() -> float:
    """CPU seconds of this (load generator) process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def postgres_cpu_s() -> float | None:
    """CPU seconds of PostgreSQL on this machine (None if unreadable): every live postgres
    process, plus what the postmaster has collected from the backends that ended (its
    children's times): a backend that exits mid-phase still counts."""
    total, found = 0, False
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() != "postgres":
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            parent = Path(f"/proc/{fields[1]}/comm")
            if not parent.exists() or parent.read_text().strip() != "postgres":  # the postmaster
                total += int(fields[13]) + int(fields[14])  # cutime, cstime: ended backends
            found = True
        except (OSError, IndexError, ValueError):
            continue
    return total / _TICKS if found else None


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


def create_database(kind: str, workdir: Path, pg_socket: str | None = None,
                    prepare: Callable[[str], None] | None = None) -> str:
    """A new, migrated database; `prepare(url)` runs after the migrations."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        name = f"otagai_bench_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        if pg_socket:  # the server talks to PostgreSQL over its Unix socket instead of TCP
            url = f"postgresql://postgres@/{name}?host={pg_socket}"
    upgrade(url)
    if prepare is not None:
        prepare(url)
    return url


def copy_database(url: str) -> str:
    """A copy of a PostgreSQL database nobody is connected to: <name>_copy."""
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    _pg_admin(f'CREATE DATABASE "{name}_copy" TEMPLATE "{name}"')
    return url.replace(f"/{name}", f"/{name}_copy", 1)


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """`otagai serve` in its own process group, on a free port of 127.0.0.1."""

    def __init__(self, url: str, workdir: Path, workers: int, plugins: str | None = None,
                 root: Path = ROOT) -> None:
        self.root = root  # the checkout to serve (bench/checkin_compare.py serves two)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "OTAGAI_DATABASE_URL": url,
            "OTAGAI_DATA_DIR": str(workdir),
            "OTAGAI_RATE_LIMITS": "off",
            "PYTHONPATH": os.pathsep.join(filter(None, (str(root), os.environ.get("PYTHONPATH")))),
        }
        self.env.pop("OTAGAI_PLUGINS", None)
        if plugins:
            self.env["OTAGAI_PLUGINS"] = plugins
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.api.cli", "serve", "--port", str(self.port),
             "--workers", str(self.workers)],
            cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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
    codes: dict[str, int] = field(default_factory=dict)  # code → count, for results not APPLIED


async def gql(http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def envelope(seq: int, action: str, args: dict[str, Any], args_version: int = 1,
             client_time: datetime | None = None) -> dict[str, Any]:
    return {
        "mutationId": uuid7(),
        "seq": seq,
        "clientTime": (client_time or datetime.now(UTC)).isoformat(),
        "argsVersion": args_version,
        "args": {action: args},
    }


async def drain(http: httpx.AsyncClient, device: Device, queue: list[dict[str, Any]], stats: PushStats,
                keep_results: bool = True) -> None:
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
                device.results[result["mutationId"]] = result if keep_results else {"status": result["status"]}
                if result["status"] == "APPLIED":
                    stats.applied += 1
                else:
                    stats.other[result["status"]] = stats.other.get(result["status"], 0) + 1
                    code = str(result.get("code"))
                    stats.codes[code] = stats.codes.get(code, 0) + 1
            done += 1
        if done < len(batch):
            stats.retries += 1
            retry_ms = payload.get("retryAfterMs") or 200
            await asyncio.sleep(retry_ms / 1000)
        pending = pending[done:]


async def push_all(http: httpx.AsyncClient, work: list[tuple[Device, list[dict[str, Any]]]],
                   concurrency: int, stats: PushStats | None = None,
                   keep_results: bool = True) -> tuple[PushStats, float]:
    """Devices drain their queues, `concurrency` of them at once (each in seq order)."""
    stats = stats or PushStats()
    stats.sent_actions += sum(len(q) for _, q in work)
    queue: asyncio.Queue[tuple[Device, list[dict[str, Any]]]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            device, actions = queue.get_nowait()
            await drain(http, device, actions, stats, keep_results)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(work))))))
    return stats, time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# -- docs/BENCHMARKS.md ----------------------------------------------------------------------

DOC_HEADER = """# Benchmarks

Each benchmark in `bench/` prints its figures and, with `--write-docs`, replaces its own
section below. Figures come from a shared 2-core machine: other work may have been running
(the load average is recorded). No timing threshold is ever asserted in a test.
"""


def write_docs(section: str, name: str) -> None:
    """Replace this benchmark's marked section of docs/BENCHMARKS.md (or append it)."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{section}\n{end}"
    text = DOCS.read_text() if DOCS.exists() else DOC_HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)
