"""Benchmark: one emergency broadcast pushed to 100,000 phones through a real HTTP push path.

An association of `--phones` members (100,000), each in a one-person household with one
subscribed phone, is written straight into a fresh database (bulk inserts, as in
checkin_surge.py). A real `otagai serve` process runs the push worker in-process, as in
production; a local fake push service (tests/support/fake_push.py, uvicorn on 127.0.0.1 in
this process) takes every POST, checks its headers and VAPID JWT and answers 201.

The broadcast's event is emitted in one unit of work from this process exactly as the board
emits it when a leader publishes an EMERGENCY broadcast (`board.broadcast_published`), so the
push domain stores the message in that transaction; the worker fans it out and delivers.

Printed (and written to docs/BENCHMARKS.md with --write-docs): messages/s, time from the
broadcast's commit to the last delivery, time to the first, the server's peak RSS (its process
tree, sampled every 50 ms), and CPU seconds of the server and of this process (the fake push
service). Checked after the clock stops: every body decrypts with `http_ece` (the push service
never decrypts — phones do — so decryption is not charged to the delivery time), every phone
got the broadcast's tag, and the database holds exactly one `sent` delivery per phone.

Run:   .venv/bin/python bench/push_fanout.py --database both --write-docs
Quick: .venv/bin/python bench/push_fanout.py --phones 5000 --database sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.api.wiring import wire
from backend.board.associations import match_name
from backend.board.models import Association, AssociationMember, Household, HouseholdMember
from backend.core import events
from backend.core.db import Database, driver_url
from backend.core.ids import uuid7
from backend.push import queue
from backend.push.keys import load_or_create
from backend.push.models import PushSubscription
from backend.push.service import endpoint_hash
from bench.harness import (
    DOCS,
    RssSampler,
    Server,
    create_database,
    drop_database,
    loadavg,
    machine,
    own_cpu_s,
    tree_cpu_s,
    write_docs,
)
from tests.support.fake_push import FakePushService, running

LOCALES = ("ja", "ja", "ja", "en", "ja-easy")
TARGET_S, TARGET_MB = 60.0, 300.0


def seed(url: str, fake: FakePushService, phones: int) -> tuple[str, float]:
    """An association of `phones` members with a subscribed phone each; (association id, seconds)."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    association = str(uuid.uuid4())
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)

    def insert(model: Any, rows: list[dict[str, Any]]) -> None:
        table: sa.Table = model.__table__
        with engine.begin() as conn:
            for at in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[at:at + 5000])

    insert(Association, [{"id": association, "name": "ベンチ町会", "match_name": match_name("ベンチ町会"),
                          "area_geojson": None, "version": 1, "created_at": now}])
    for at in range(0, phones, 20_000):  # in slices, so the seeding never holds 100,000 rows at once
        users = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(at, min(phones, at + 20_000))]
        insert(Household, [{"id": h, "association_id": association, "label": f"世帯{h[:6]}", "address": "",
                            "group_name": "", "version": 1, "created_by": None, "created_at": now} for _, h in users])
        insert(HouseholdMember, [{"household_id": h, "person_id": u} for u, h in users])
        insert(AssociationMember, [{"association_id": association, "user_id": u, "joined_at": now} for u, _ in users])
        subscriptions = []
        for i, (user_id, _) in enumerate(users, start=at):
            endpoint, keys = fake.new_device(f"d{i:06d}")
            subscriptions.append({
                "id": uuid7(), "user_id": user_id, "endpoint": endpoint, "endpoint_hash": endpoint_hash(endpoint),
                "p256dh": keys.p256dh, "auth": keys.auth, "locale": LOCALES[i % len(LOCALES)], "categories": 63,
                "all_associations": True, "time_zone": "Asia/Tokyo", "created_at": now, "updated_at": now})
        insert(PushSubscription, subscriptions)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE")
    engine.dispose()
    return association, time.perf_counter() - started


async def broadcast(url: str, association_id: str) -> float:
    """The EMERGENCY broadcast's event, in its own transaction; the commit time (perf_counter)."""
    db = Database(url)
    try:
        async with db.unit_of_work() as uow:
            await events.emit(uow.session, events.BROADCAST_PUBLISHED, post_id=str(uuid.uuid4()),
                              association_id=association_id, urgency="EMERGENCY", title="避難指示（緊急）")
            await uow.commit()
        return time.perf_counter()
    finally:
        await db.dispose()


async def database_counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        async with db.read_session() as session:
            return await queue.counts(session)
    finally:
        await db.dispose()


async def run_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    wire()
    workdir = Path(tempfile.mkdtemp(prefix=f"otagai-bench-push-{kind}-"))
    url = create_database(kind, workdir)
    vapid = load_or_create(workdir)  # the server finds this key in its OTAGAI_DATA_DIR
    fake = FakePushService(expected_vapid_key=vapid.application_server_key, decrypt_later=True, key_pool=256)
    server = Server(url, workdir, workers=1)
    server.env.update({"OTAGAI_PUSH_ALLOW_LOOPBACK": "1"})
    result: dict[str, Any] = {"database": kind, "phones": args.phones}
    try:
        association, result["seed_s"] = seed(url, fake, args.phones)
        print(f"[{kind}] seeded {args.phones:,} phones in {result['seed_s']:.1f} s", flush=True)
        async with running(fake):
            server.start()
            sampler = RssSampler(server.pid)
            sampler.start()
            await asyncio.sleep(1.0)
            idle_kb, cpu0, own0 = sampler.peak_kb, tree_cpu_s(server.pid), own_cpu_s()
            result["load_before"] = loadavg()
            committed = await broadcast(url, association)
            deadline = committed + args.timeout
            first = None
            while len(fake.delivered) < args.phones and time.perf_counter() < deadline:
                if first is None and fake.delivered:
                    first = time.perf_counter()
                await asyncio.sleep(0.05)
            last = fake.last_delivery_at
            result["server_cpu_s"] = tree_cpu_s(server.pid) - cpu0
            result["fake_cpu_s"] = own_cpu_s() - own0
            result["load_after"] = loadavg()
            sampler.stop()
            result["peak_rss_mb"], result["idle_rss_mb"] = sampler.peak_kb / 1024, idle_kb / 1024
            server.stop()
        result["delivered"] = len(fake.delivered)
        result["last_s"] = (last - committed) if fake.delivered else float("nan")
        result["first_s"] = (first - committed) if first else float("nan")
        result["per_s"] = result["delivered"] / result["last_s"] if fake.delivered else 0.0
        started = time.perf_counter()
        received = fake.received()  # decrypts every body with http_ece
        result["decrypt_s"] = time.perf_counter() - started
        result["counts"] = await database_counts(url)
        problems = []
        if {device for device, _ in received} != set(fake.devices):
            problems.append(f"{len(set(fake.devices) - {d for d, _ in received}):,} phones got nothing")
        if len(received) != len(fake.devices):
            problems.append("some phone got two different notifications")
        if result["counts"] != {"sent": args.phones}:
            problems.append(f"deliveries in the database: {result['counts']}")
        if fake.refused:
            problems.append(f"{len(fake.refused)} POSTs refused, e.g. {fake.refused[0]}")
        result["repeats"] = len(fake.delivered) - len(received)
        result["problems"] = problems
        return result
    finally:
        server.stop()
        drop_database(url)


def show(r: dict[str, Any]) -> None:
    print(f"[{r['database']}] delivered {r['delivered']:,}/{r['phones']:,}: {r['per_s']:,.0f} messages/s, "
          f"last delivery {r['last_s']:.1f} s after the commit (first {r['first_s']:.2f} s), server peak RSS "
          f"{r['peak_rss_mb']:.0f} MB (idle {r['idle_rss_mb']:.0f}), server CPU {r['server_cpu_s']:.1f} s, "
          f"fake push service CPU {r['fake_cpu_s']:.1f} s; decrypted all in {r['decrypt_s']:.1f} s; "
          f"{'checks passed' if not r['problems'] else 'PROBLEMS: ' + '; '.join(r['problems'])}", flush=True)


def targets(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in results:
        met_time = r["last_s"] <= TARGET_S and r["delivered"] == r["phones"]
        lines.append(f"- {r['database']}: all {r['phones']:,} delivered within {TARGET_S:.0f} s: "
                     f"{r['last_s']:.1f} s — {'met' if met_time else 'NOT met'}")
        lines.append(f"- {r['database']}: worker (server process) memory ≤ {TARGET_MB:.0f} MB: peak "
                     f"{r['peak_rss_mb']:.0f} MB — {'met' if r['peak_rss_mb'] <= TARGET_MB else 'NOT met'}")
    return lines


def markdown(results: list[dict[str, Any]], command: str) -> str:
    m = machine()
    cols = " | ".join(r["database"] for r in results)

    def row(label: str, fmt: Any) -> str:
        return f"| {label} | " + " | ".join(fmt(r) for r in results) + " |"

    return "\n".join([
        "## push_fanout — one emergency broadcast to 100,000 phones",
        "",
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `bench/push_fanout.py`:",
        "", "```", command, "```", "",
        (f"Machine: {m['cores']} cores, {m['memory']} RAM, {m['cpu']}; Python {m['python']}, "
         f"PostgreSQL {m['postgresql']}, SQLite {m['sqlite']}. One `otagai serve` process with the push "
         "worker in-process (3 lanes × 250 claimed per batch, 96 requests in flight); the fake push "
         "service (starlette + uvicorn, this process) and the database share the same 2 cores."),
        "",
        ("Workload: one association of N members with one subscribed phone each (locales ja/en/ja-easy); "
         "one EMERGENCY broadcast event committed; the worker fans it out (chunks of 5,000 subscriptions), "
         "encrypts each message for its phone (RFC 8291 aes128gcm, a fresh ECDH key per message), signs "
         "VAPID once per origin and POSTs with TTL, Urgency: high and Topic over kept-alive HTTP/1.1."),
        "",
        f"| | {cols} |",
        "|---|" + "---|" * len(results),
        row("phones delivered / subscribed", lambda r: f"{r['delivered']:,} / {r['phones']:,}"),
        row("messages/s (commit → last delivery)", lambda r: f"**{r['per_s']:,.0f}**"),
        row("time to last delivery", lambda r: f"**{r['last_s']:.1f} s**"),
        row("time to first delivery", lambda r: f"{r['first_s']:.2f} s"),
        row("server peak RSS (idle before)", lambda r: f"**{r['peak_rss_mb']:.0f} MB** ({r['idle_rss_mb']:.0f})"),
        row("CPU s: server / fake push service", lambda r: f"{r['server_cpu_s']:.1f} / {r['fake_cpu_s']:.1f}"),
        row("all bodies decrypted (http_ece, after)", lambda r: f"{r['decrypt_s']:.1f} s"),
        row("repeated POSTs (same tag)", lambda r: str(r["repeats"])),
        row("load average before / after", lambda r: f"{r['load_before']} / {r['load_after']}"),
        row("check (each phone once, rows all sent)", lambda r: "passed" if not r["problems"] else
            "FAILED: " + "; ".join(r["problems"])),
        "", "Targets:", "", *targets(results), "",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--phones", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up waiting after this many seconds")
    parser.add_argument("--write-docs", action="store_true", help=f"replace this section of {DOCS.relative_to(ROOT)}")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    command = "python bench/push_fanout.py " + shlex.join(sys.argv[1:])
    m = machine()
    print(f"machine: {m['cores']} cores, {m['memory']}, {m['cpu']}; load {loadavg()}")
    results = []
    for kind in kinds:
        result = asyncio.run(run_one(kind, args))
        show(result)
        results.append(result)
    print("\nTargets:")
    print("\n".join(targets(results)))
    if args.write_docs:
        write_docs(markdown(results, command), "push_fanout")
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
