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
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.core.db import driver_url
from bench.harness import (
    BATCH,
    DOCS,
    OPS,
    Device,
    PushStats,
    RssSampler,
    Server,
    drain,
    drop_database,
    envelope,
    gql,
    loadavg,
    machine,
    percentile,
    push_all,
    tree_rss_kb,
    write_docs,
)
from bench.harness import create_database as _create_database

PULL = (OPS / "sync" / "Pull.graphql").read_text()
REGISTER = (OPS / "accounts" / "Register.graphql").read_text()
PULL_LIMIT = 500
TARGETS = {"pg_actions_per_s": 2000.0, "pull_s": 5.0, "rss_mb": 300.0}
PLUGINS = "tests.support.test_actions:register"


def _test_tables(url: str) -> None:
    """The test plugin's table, for the ward-visible notes of the pull benchmark."""
    from tests.support.databases import test_metadata

    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    test_metadata.create_all(engine)
    engine.dispose()


def create_database(kind: str, workdir: Path, pg_socket: str | None = None) -> str:
    return _create_database(kind, workdir, pg_socket, prepare=_test_tables)


# -- clients ---------------------------------------------------------------------------------

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
    server = Server(url, workdir, args.workers, plugins=PLUGINS)
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
        write_docs(markdown(results, args, command), "sync_push")
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")
    return 1 if any(r["verify"]["problems"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
