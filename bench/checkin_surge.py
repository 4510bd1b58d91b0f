"""Benchmark: a check-in surge (安否確認) from a whole ward, then the staff and leader views.

A ward of `--residents` people (100,000) in households of 1–5, spread over `--associations`
neighbourhood associations (200), with `--shelters` shelters (50, the first rows of a real
open-data file imported with the shelter importer). Every resident has an account and a
phone. Accounts, people, households, memberships, roles and tokens are written straight into
the database in bulk (registration hashes passwords with argon2 on purpose, far too slowly
for 100,000 people); the incident is opened with `otagai incident open --drill`.

Then a real `otagai serve` process on 127.0.0.1 takes the surge, as the PWA outbox sends it:

1. Wave 1: in each household either nobody answers (`--silent-share`, the roll-call's
   unanswered), or one member's phone reports for the whole household (`--proxy-share`: its
   own check-in plus proxy check-ins for the others, role HOUSEHOLD), or every member
   reports from their own phone. A phone's queue is pushed in batches of up to 100.
2. Wave 2: follow-ups until `--checkins` (default: one per resident) are in: people who
   already have a status report again (moved to a shelter, or "I'm okay" after a household
   member reported them hurt — a SAFE from another reporter that does not clear the help
   report: disputed).

`--concurrency` phones push at once; while they do, one shelter-staff and one leader screen
poll shelterStatus and rollCall. After the surge, every shelter's shelterStatus (as its staff)
and every association's rollCall (as its leader) is queried `--query-rounds` times, one at a
time: p50/p95 latency at 100,000 check-ins.

Printed and written to docs/BENCHMARKS.md (with --write-docs): applied check-ins/s, pushes/s,
batch latency, the two queries' latency (after and during the surge), the server's peak RSS
(its process tree, sampled from /proc every 50 ms), CPU seconds per 1,000 check-ins of the
server, PostgreSQL and the load generator, the machine, the command and the load average.

Checked at the end: every check-in answered APPLIED exactly once and stored once, one status
per reported person, shelter occupancy summed over shelters equals the statuses at shelters,
and the roll-call's unanswered households are exactly the silent ones.

Then the batched devices, the target's figure (issue 3: "check-ins pushed by simulated devices
in batches"): 3. the door-knock — each association's leader reports, from one phone, for every
member of the households the roll-call showed unanswered; 4. reception — each shelter's staff
confirm, from the reception desk, everyone whose status places them at that shelter. Both push
their queues in batches of up to 100, which the server reads and writes per batch
(backend/safety/checkin_batch.py). The residents' own phones (1–5 check-ins per push) are
reported beside them: there the per-push cost (HTTP, GraphQL, the transaction) dominates.

Run:  .venv/bin/python bench/checkin_surge.py --database both --write-docs
Quick: .venv/bin/python bench/checkin_surge.py --residents 5000 --associations 20 --shelters 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.api.drill.ward import Ward, build_ward, import_shelters, seed
from backend.core.db import driver_url
from bench.harness import (
    OPS,
    Device,
    PushStats,
    RssSampler,
    Server,
    create_database,
    drain,
    drop_database,
    envelope,
    gql,
    loadavg,
    machine_line,
    own_cpu_s,
    percentile,
    postgres_cpu_s,
    tree_cpu_s,
    tree_rss_kb,
    write_docs,
)

SHELTER_STATUS = (OPS / "safety" / "ShelterStatus.graphql").read_text()
ROLL_CALL = (OPS / "safety" / "RollCall.graphql").read_text()
DEFAULT_SHELTERS_FILE = Path("/work/shared/data/open-data/tokyo_130001_evacuation_area.csv")
TARGETS = {"pg_checkins_per_s": 2000.0, "p95_ms": 100.0}
NEEDS = ("MEDICAL", "MOBILITY", "MEDICATION", "FOOD", "WATER", "BABY_SUPPLIES", "LANGUAGE", "OTHER")


# -- the ward: backend/api/drill/ward.py (the drill seeds the same way) -------------------


def open_incident(url: str) -> str:
    """Through the command line, as ward staff would for a drill."""
    out = subprocess.run(
        [sys.executable, "-m", "backend.api.cli", "incident", "open", "--name", "ベンチ訓練 安否確認", "--drill"],
        cwd=ROOT, env={"OTAGAI_DATABASE_URL": url, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True,
    )
    return out.stdout.strip().splitlines()[-1]


# -- the surge -------------------------------------------------------------------------------

@dataclass
class Plan:
    wave1: list[tuple[int, list[dict[str, Any]]]]  # (reporting resident, check-in args)
    wave2: list[tuple[int, list[dict[str, Any]]]]
    wave3: list[tuple[int, list[dict[str, Any]]]]  # leaders knocking on the silent households' doors
    silent_homes: set[int]
    reported: set[int]


def _checkin(rng: random.Random, incident: str, shelters: list[tuple[str, float, float]],
             place: str, shelter: int | None, subject: str | None, proxy: bool) -> dict[str, Any]:
    roll = rng.random()
    if proxy:
        condition = "SAFE" if roll < 0.78 else "NEED_HELP" if roll < 0.88 else "INJURED" if roll < 0.95 else "MISSING"
    else:
        condition = "SAFE" if roll < 0.86 else "NEED_HELP" if roll < 0.95 else "INJURED"
    args: dict[str, Any] = {"id": str(uuid.uuid4()), "incidentId": incident, "condition": condition, "place": place}
    if subject:
        args["subjectId"] = subject
    if shelter is not None:
        args["shelterId"] = shelters[shelter][0]
    if condition != "SAFE" or rng.random() < 0.15:
        args["needs"] = rng.sample(NEEDS, rng.randint(1, 2))
    if rng.random() < 0.2:
        args["comment"] = rng.choice(("家族全員無事", "薬が足りません", "足をけがしました", "ペットと一緒です", "We are fine"))
    if rng.random() < 0.3:
        _, lat, lon = shelters[shelter] if shelter is not None else rng.choice(shelters)
        args["location"] = {"lat": round(lat + rng.uniform(-0.003, 0.003), 6),
                            "lon": round(lon + rng.uniform(-0.003, 0.003), 6)}
    return args


def plan_surge(args: argparse.Namespace, ward: Ward, incident: str,
               shelters: list[tuple[str, float, float]], rng: random.Random) -> Plan:
    wave1: list[tuple[int, list[dict[str, Any]]]] = []
    silent: set[int] = set()
    reported: set[int] = set()
    for index, home in enumerate(ward.homes):
        if rng.random() < args.silent_share:
            silent.add(index)
            continue
        roll = rng.random()
        place = "HOME" if roll < 0.6 else "SHELTER" if roll < 0.9 else "ELSEWHERE"
        designated = home.association % len(shelters)
        shelter = None
        if place == "SHELTER":
            shelter = designated if rng.random() < 0.9 else rng.randrange(len(shelters))
        if len(home.members) > 1 and rng.random() < args.proxy_share:
            head, *others = home.members
            queue = [_checkin(rng, incident, shelters, place, shelter, None, False)]
            queue += [_checkin(rng, incident, shelters, place, shelter, ward.residents[m].id, True) for m in others]
            wave1.append((head, queue))
        else:
            for m in home.members:
                wave1.append((m, [_checkin(rng, incident, shelters, place, shelter, None, False)]))
        reported.update(home.members)
    rng.shuffle(wave1)
    total1 = sum(len(q) for _, q in wave1)
    wave2: list[tuple[int, list[dict[str, Any]]]] = []
    candidates = sorted(reported)
    for _ in range(max(0, args.checkins - total1)):
        who = rng.choice(candidates)
        home = ward.homes[ward.residents[who].household]
        if rng.random() < 0.5:  # evacuated to the shelter after all
            shelter = home.association % len(shelters)
            wave2.append((who, [_checkin(rng, incident, shelters, "SHELTER", shelter, None, False)]))
        else:  # "I'm okay", where they are
            item = _checkin(rng, incident, shelters, "UNKNOWN", None, None, False)
            item.update(condition="SAFE")
            item.pop("needs", None)
            wave2.append((who, [item]))
    # Wave 3, after the queries: each association's leader goes door to door to the households
    # the roll-call shows unanswered and reports for every member from one phone (role LEADER).
    knocks: dict[int, list[dict[str, Any]]] = {}
    for index in sorted(silent):
        home = ward.homes[index]
        leader = ward.leaders[home.association][0]
        for m in home.members:
            roll = rng.random()
            condition = "SAFE" if roll < 0.7 else "NEED_HELP" if roll < 0.85 else "MISSING"
            item = _checkin(rng, incident, shelters, "HOME" if condition != "MISSING" else "UNKNOWN",
                            None, ward.residents[m].id, True)
            item.update(condition=condition)
            item.pop("location", None)
            if m == leader:  # the leader's own household was silent: they report for themselves too
                item.update(condition="SAFE", place="HOME")
                item.pop("subjectId")
            knocks.setdefault(leader, []).append(item)
    wave3 = list(knocks.items()) if args.door_knock else []
    return Plan(wave1, wave2, wave3, silent, reported)


@dataclass
class Screens:
    """Staff and leader screens polling while the surge runs."""

    shelter_ms: list[float] = field(default_factory=list)
    rollcall_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def query(http: httpx.AsyncClient, document: str, variables: dict[str, Any], token: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = await gql(http, document, variables, token)
    elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"query failed: HTTP {response.status_code} {str(body)[:300]}")
    return elapsed, body["data"]


async def poll_screens(http: httpx.AsyncClient, ward: Ward, shelter_ids: list[str], incident: str,
                       screens: Screens, stop: asyncio.Event, every: float, rng: random.Random) -> None:
    while not stop.is_set():
        s = rng.randrange(len(shelter_ids))
        a = rng.randrange(len(ward.associations))
        try:
            ms, _ = await query(http, SHELTER_STATUS, {"shelterId": shelter_ids[s], "incidentId": incident},
                                ward.residents[ward.staff[s][0]].token)
            screens.shelter_ms.append(ms * 1000)
            ms, _ = await query(http, ROLL_CALL, {"associationId": ward.associations[a], "incidentId": incident},
                                ward.residents[ward.leaders[a][0]].token)
            screens.rollcall_ms.append(ms * 1000)
        except (RuntimeError, httpx.HTTPError) as exc:
            screens.errors.append(str(exc)[:200])
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass


async def run_wave(http: httpx.AsyncClient, plan: list[tuple[int, list[dict[str, Any]]]], ward: Ward,
                   devices: dict[int, Device], concurrency: int, stats: PushStats, label: str) -> float:
    """Each phone pushes its queue (envelopes stamped when the phone sends them)."""
    work = []
    for who, queue in plan:
        device = devices.setdefault(who, Device(ward.residents[who].token, ward.residents[who].id))
        start = device.last_processed_seq + 1
        device.last_processed_seq += len(queue)  # the next wave continues this device's seq
        work.append((device, start, queue))
    pending = asyncio.Queue[tuple[Device, int, list[dict[str, Any]]]]()
    for item in work:
        pending.put_nowait(item)
    stats.sent_actions += sum(len(q) for _, _, q in work)
    started = time.perf_counter()
    done_before = stats.applied

    async def phone() -> None:
        while not pending.empty():
            device, first_seq, queue = pending.get_nowait()
            envelopes = [envelope(first_seq + i, "checkIn", args) for i, args in enumerate(queue)]
            await drain(http, device, envelopes, stats, keep_results=False)

    async def progress() -> None:
        while True:
            await asyncio.sleep(10)
            elapsed = time.perf_counter() - started
            done = stats.applied - done_before
            print(f"  {label}: {done:,} check-ins applied in {elapsed:.0f} s ({done / elapsed:,.0f}/s), "
                  f"load {loadavg()}", flush=True)

    reporter = asyncio.create_task(progress())
    try:
        await asyncio.gather(*(phone() for _ in range(max(1, min(concurrency, len(work))))))
    finally:
        reporter.cancel()
    return time.perf_counter() - started


def start_profile(path: Path | None, pid: int) -> subprocess.Popen[bytes] | None:
    """py-spy (not a dependency: `pip install py-spy` into the venv) sampling the server
    through the batched phases; raw collapsed stacks, one line per stack and its count."""
    if path is None:
        return None
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return subprocess.Popen([spy, "record", "-p", str(pid), "-r", "250", "-f", "raw", "-o", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profile(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        profiler.wait(timeout=60)


async def query_rounds(http: httpx.AsyncClient, ward: Ward, shelter_ids: list[str], incident: str,
                       rounds: int) -> tuple[list[float], list[float], list[float], dict[str, Any]]:
    """Every shelter's status (as its staff) and every association's roll-call (as its leader),
    one query at a time; the first round's answers are kept for the checks. The status is
    asked as the staff screen asks it (the first 100 people listed, most urgent first) and
    with everyone listed (the screen's "show everyone")."""
    shelter_ms: list[float] = []
    everyone_ms: list[float] = []
    rollcall_ms: list[float] = []
    first: dict[str, Any] = {"occupancy": 0, "people": 0, "listed": 0, "unanswered": 0, "households": 0}
    for round_ in range(rounds):
        for s, sid in enumerate(shelter_ids):
            token = ward.residents[ward.staff[s][0]].token
            ms, data = await query(http, SHELTER_STATUS, {"shelterId": sid, "incidentId": incident}, token)
            shelter_ms.append(ms * 1000)
            ms_all, data_all = await query(http, SHELTER_STATUS, {"shelterId": sid, "incidentId": incident,
                                                                  "people": None}, token)
            everyone_ms.append(ms_all * 1000)
            if round_ == 0:
                first["occupancy"] += data["shelterStatus"]["occupancy"]
                first["listed"] = max(first["listed"], len(data["shelterStatus"]["people"]))
                first["people"] = max(first["people"], len(data_all["shelterStatus"]["people"]))
        for a, aid in enumerate(ward.associations):
            ms, data = await query(http, ROLL_CALL, {"associationId": aid, "incidentId": incident},
                                   ward.residents[ward.leaders[a][0]].token)
            rollcall_ms.append(ms * 1000)
            if round_ == 0:
                first["unanswered"] += data["rollCall"]["unansweredCount"]
                first["households"] = max(first["households"], len(data["rollCall"]["households"]))
    return shelter_ms, everyone_ms, rollcall_ms, first


def reception_queues(url: str, incident: str, ward: Ward, shelter_ids: list[str],
                     rng: random.Random) -> list[tuple[int, list[dict[str, Any]]]]:
    """Each shelter's first staff member confirms, from the reception desk, everyone whose
    status places them at that shelter (role SHELTER_STAFF; their own status included)."""
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            present = conn.execute(sa.text(
                "SELECT person_id, shelter_id FROM safety_status WHERE incident_id = :i AND place = 'SHELTER' "
                "ORDER BY shelter_id, person_id"), {"i": incident}).all()
    finally:
        engine.dispose()
    desk = {sid: ward.staff[s][0] for s, sid in enumerate(shelter_ids) if ward.staff.get(s)}
    queues: dict[int, list[dict[str, Any]]] = {}
    for person_id, shelter_id in present:
        staff = desk.get(shelter_id)
        if staff is None:
            continue
        item: dict[str, Any] = {"id": str(uuid.uuid4()), "incidentId": incident, "condition": "SAFE",
                                "place": "SHELTER", "shelterId": shelter_id}
        if person_id != ward.residents[staff].id:
            item["subjectId"] = person_id
        if rng.random() < 0.2:
            item["needs"] = rng.sample(NEEDS, 1)
        queues.setdefault(staff, []).append(item)
    return list(queues.items())


def verify(url: str, plan: Plan, ward_ids: list[str], stats: PushStats, batched: list[PushStats],
           checks: dict[str, Any]) -> list[str]:
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            checkins = conn.execute(sa.text("SELECT count(*) FROM checkin")).scalar_one()
            distinct_ids = conn.execute(sa.text("SELECT count(DISTINCT id) FROM checkin")).scalar_one()
            statuses = conn.execute(sa.text("SELECT count(*) FROM safety_status")).scalar_one()
            at_shelters = conn.execute(sa.text(
                "SELECT count(*) FROM safety_status WHERE place = 'SHELTER' AND shelter_id IS NOT NULL")).scalar_one()
            disputed = conn.execute(sa.text("SELECT count(*) FROM safety_status WHERE disputed")).scalar_one()
            log = dict(conn.execute(sa.text(
                "SELECT status, count(*) FROM sync_mutation WHERE action = 'checkIn' GROUP BY status")).all())
    finally:
        engine.dispose()
    checks["disputed"] = disputed
    checks["statuses"] = statuses
    sent = stats.sent_actions + sum(part.sent_actions for part in batched)
    problems = []
    for name, part in (("surge", stats), ("door-knock", batched[0]), ("reception", batched[1])):
        if part.applied != part.sent_actions or part.other:
            problems.append(f"{name}: {part.applied} of {part.sent_actions} APPLIED; others {part.other} {part.codes}")
    if checkins != sent or distinct_ids != sent:
        problems.append(f"{checkins} check-ins stored ({distinct_ids} distinct), {sent} sent")
    if log.get("APPLIED", 0) != sent or sum(log.values()) != sent:
        problems.append(f"mutation log {log}, expected {sent} APPLIED")
    knocked = {item.get("subjectId") or ward_ids[who] for who, queue in plan.wave3 for item in queue}
    people = {ward_ids[i] for i in plan.reported} | knocked
    if statuses != len(people):
        problems.append(f"{statuses} statuses for {len(people)} reported people")
    if checks["occupancy"] != at_shelters:
        problems.append(f"shelterStatus occupancy sums to {checks['occupancy']}, {at_shelters} statuses at shelters")
    if checks["unanswered"] != len(plan.silent_homes):
        problems.append(f"rollCall: {checks['unanswered']} unanswered, {len(plan.silent_homes)} silent households")
    return problems


def sized(args: argparse.Namespace, kind: str) -> argparse.Namespace:
    """The sizes for one database: SQLite's scaled by --sqlite-scale (same people per association
    and per shelter when the three counts scale alike)."""
    scale = args.sqlite_scale if kind == "sqlite" else 1.0
    out = argparse.Namespace(**vars(args))
    for name in ("residents", "associations", "shelters", "checkins"):
        setattr(out, name, max(1, round(getattr(args, name) * scale)))
    return out


async def run_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    args = sized(args, kind)
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix=f"otagai-surge-{kind}-"))
    url = create_database(kind, workdir, args.pg_socket)
    server = Server(url, workdir, args.workers)
    sampler: RssSampler | None = None
    finished = False
    try:
        started = time.perf_counter()
        shelters = await import_shelters(url, args.shelter_file, args.shelters)
        shelter_ids = [s for s, _, _ in shelters]
        ward = build_ward(residents=args.residents, associations=args.associations,
                          shelters=args.shelters, rng=rng)
        seed_timings = seed(url, ward, shelter_ids)
        incident = open_incident(url)
        plan = plan_surge(args, ward, incident, shelters, rng)
        setup_s = time.perf_counter() - started
        print(f"[{kind}] seeded {len(ward.residents):,} residents, {len(ward.homes):,} households, "
              f"{len(ward.associations)} associations, {len(shelter_ids)} shelters in {setup_s:.0f} s; "
              f"plan: {sum(len(q) for _, q in plan.wave1):,} + {sum(len(q) for _, q in plan.wave2):,} check-ins "
              f"from {len(plan.wave1):,} + {len(plan.wave2):,} phone queues", flush=True)
        server.start()
        print(f"[{kind}] server pid {server.pid} on {server.base}", flush=True)
        sampler = RssSampler(server.pid)
        sampler.start()
        await asyncio.sleep(0.3)
        idle_kb = tree_rss_kb(server.pid)
        size = args.concurrency + 4
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        devices: dict[int, Device] = {}
        async with httpx.AsyncClient(base_url=server.base, timeout=300, limits=limits) as http:
            # Warm up: parser and validation caches, the connection pool; one query of each.
            sampler.phase = "warmup"
            await query_rounds(http, Ward(ward.associations[:1], ward.residents, ward.homes, ward.leaders,
                                          {0: ward.staff[0]}, {}), shelter_ids[:1], incident, 1)

            sampler.phase = "surge"
            stats = PushStats()
            screens = Screens()
            stop = asyncio.Event()
            poller = asyncio.create_task(poll_screens(http, ward, shelter_ids, incident, screens, stop,
                                                      args.poll_every, random.Random(args.seed + 1)))
            load_before = loadavg()
            cpu0 = (tree_cpu_s(server.pid), postgres_cpu_s(), own_cpu_s())
            wall1 = await run_wave(http, plan.wave1, ward, devices, args.concurrency, stats, "wave 1")
            applied1, batches1 = stats.applied, stats.batches
            wall2 = await run_wave(http, plan.wave2, ward, devices, args.concurrency, stats, "wave 2")
            cpu1 = (tree_cpu_s(server.pid), postgres_cpu_s(), own_cpu_s())
            load_after = loadavg()
            stop.set()
            await poller

            sampler.phase = "queries"
            load_queries = loadavg()
            shelter_ms, everyone_ms, rollcall_ms, checks = await query_rounds(http, ward, shelter_ids, incident, args.query_rounds)

            # Door-knocking: large batches from few phones (what one check-in costs without
            # the per-push overhead of a resident's one or two).
            sampler.phase = "door-knock"
            profiler = start_profile(args.profile, server.pid)
            knock = PushStats()
            cpu2, pg2, gen2 = tree_cpu_s(server.pid), postgres_cpu_s(), own_cpu_s()
            wall3 = await run_wave(http, plan.wave3, ward, devices, args.concurrency, knock, "door-knock")
            cpu3, pg3, gen3 = tree_cpu_s(server.pid), postgres_cpu_s(), own_cpu_s()
            # Reception: each shelter's staff confirm everyone whose status is at their shelter.
            sampler.phase = "reception"
            reception = PushStats()
            desks = reception_queues(url, incident, ward, shelter_ids, random.Random(args.seed + 2))
            cpu4, pg4, gen4 = tree_cpu_s(server.pid), postgres_cpu_s(), own_cpu_s()
            wall4 = await run_wave(http, desks, ward, devices, args.concurrency, reception, "reception")
            cpu5, pg5, gen5 = tree_cpu_s(server.pid), postgres_cpu_s(), own_cpu_s()
            stop_profile(profiler)
            sampler.phase = "end"
        problems = verify(url, plan, [r.id for r in ward.residents], stats, [knock, reception], checks)
        problems += [f"screen query failed: {e}" for e in screens.errors[:3]]
        finished = True
    finally:
        if sampler is not None:
            sampler.stop()
        server.stop()
        if not args.keep_database:
            drop_database(url)
        if finished and not args.keep_database:
            shutil.rmtree(workdir, ignore_errors=True)
        elif not finished:
            print(f"[{kind}] failed; server log kept in {workdir}", file=sys.stderr)
        else:
            print(f"[{kind}] kept: {url} (server log in {workdir})")
    wall = wall1 + wall2
    n = stats.applied or 1
    pg_cpu = (cpu1[1] - cpu0[1]) if cpu0[1] is not None and cpu1[1] is not None else None
    batch_sizes = [len(q) for _, q in plan.wave1 + plan.wave2]
    batched = knock.applied + reception.applied
    batched_wall = wall3 + wall4
    pg_parts = (pg2, pg3, pg4, pg5)
    batched_pg = (pg3 - pg2 + pg5 - pg4) if all(v is not None for v in pg_parts) else None  # type: ignore[operator]
    return {
        "database": kind,
        "residents": len(ward.residents),
        "households": len(ward.homes),
        "associations": len(ward.associations),
        "shelters": len(shelter_ids),
        "setup_s": setup_s,
        "seed_s": sum(seed_timings.values()),
        "checkins": stats.sent_actions,
        "applied": stats.applied,
        "pushes": stats.batches,
        "mean_batch": statistics.fmean(batch_sizes),
        "wall_s": wall,
        "checkins_per_s": stats.applied / wall if wall else 0.0,
        "pushes_per_s": stats.batches / wall if wall else 0.0,
        "wave1_per_s": applied1 / wall1 if wall1 else 0.0,
        "wave2_per_s": (stats.applied - applied1) / wall2 if wall2 else 0.0,
        "wave1_checkins": applied1,
        "wave1_pushes": batches1,
        "retries": stats.retries + knock.retries + reception.retries,
        "batched_applied": batched,
        "batched_pushes": knock.batches + reception.batches,
        "batched_wall_s": batched_wall,
        "batched_per_s": batched / batched_wall if batched_wall else 0.0,
        "batched_p50_ms": percentile(knock.latencies + reception.latencies, 50) * 1000,
        "batched_p95_ms": percentile(knock.latencies + reception.latencies, 95) * 1000,
        "batched_server_cpu_ms_per_1k": (cpu3 - cpu2 + cpu5 - cpu4) / (batched or 1) * 1e6,
        "batched_pg_cpu_ms_per_1k": batched_pg / (batched or 1) * 1e6 if batched_pg is not None else None,
        "batched_loadgen_cpu_ms_per_1k": (gen3 - gen2 + gen5 - gen4) / (batched or 1) * 1e6,
        "reception_checkins": reception.applied,
        "reception_pushes": reception.batches,
        "reception_per_s": reception.applied / wall4 if wall4 else 0.0,
        "knock_checkins": knock.applied,
        "knock_pushes": knock.batches,
        "knock_per_s": knock.applied / wall3 if wall3 else 0.0,
        "knock_p50_ms": percentile(knock.latencies, 50) * 1000,
        "knock_server_cpu_ms_per_1k": (cpu3 - cpu2) / (knock.applied or 1) * 1e6,
        "failures": {**stats.failures, **{f"door-knock {k}": v for k, v in knock.failures.items()},
                     **{f"reception {k}": v for k, v in reception.failures.items()}},
        "push_p50_ms": percentile(stats.latencies, 50) * 1000,
        "push_p95_ms": percentile(stats.latencies, 95) * 1000,
        "push_p99_ms": percentile(stats.latencies, 99) * 1000,
        "shelter_p50_ms": percentile(shelter_ms, 50),
        "shelter_p95_ms": percentile(shelter_ms, 95),
        "shelter_max_ms": max(shelter_ms),
        "shelter_n": len(shelter_ms),
        "everyone_p50_ms": percentile(everyone_ms, 50),
        "everyone_p95_ms": percentile(everyone_ms, 95),
        "max_listed_at_shelter": checks["listed"],
        "rollcall_p50_ms": percentile(rollcall_ms, 50),
        "rollcall_p95_ms": percentile(rollcall_ms, 95),
        "rollcall_max_ms": max(rollcall_ms),
        "rollcall_n": len(rollcall_ms),
        "during_shelter_p50_ms": percentile(screens.shelter_ms, 50),
        "during_shelter_p95_ms": percentile(screens.shelter_ms, 95),
        "during_rollcall_p50_ms": percentile(screens.rollcall_ms, 50),
        "during_rollcall_p95_ms": percentile(screens.rollcall_ms, 95),
        "during_n": len(screens.shelter_ms),
        "max_people_at_shelter": checks["people"],
        "max_households": checks["households"],
        "occupancy": checks["occupancy"],
        "unanswered": checks["unanswered"],
        "disputed": checks.get("disputed", 0),
        "statuses": checks.get("statuses", 0),
        "server_cpu_ms_per_1k": (cpu1[0] - cpu0[0]) / n * 1e6,
        "pg_cpu_ms_per_1k": pg_cpu / n * 1e6 if pg_cpu is not None else None,
        "client_cpu_ms_per_1k": (cpu1[2] - cpu0[2]) / n * 1e6,
        "idle_rss_mb": idle_kb / 1024,
        "peak_rss_mb": (sampler.peak_kb if sampler else 0) / 1024,
        "phase_rss_mb": {k: v / 1024 for k, v in (sampler.phase_peaks if sampler else {}).items()},
        "load_before": load_before,
        "load_after": load_after,
        "load_queries": load_queries,
        "problems": problems,
    }


# -- report ----------------------------------------------------------------------------------

def show(r: dict[str, Any]) -> None:
    ok = "OK" if not r["problems"] else "FAILED: " + "; ".join(r["problems"])
    print(f"\n== {r['database']} ==")
    print(f"ward      {r['residents']:,} residents in {r['households']:,} households, {r['associations']} associations, "
          f"{r['shelters']} shelters (set up in {r['setup_s']:.0f} s, bulk seed {r['seed_s']:.0f} s)")
    pgb = f"{r['batched_pg_cpu_ms_per_1k']:,.0f}" if r["batched_pg_cpu_ms_per_1k"] is not None else "?"
    print(f"batched   door-knock + reception desks, up to 100 per push: {r['batched_applied']:,} check-ins in "
          f"{r['batched_pushes']:,} pushes, {r['batched_wall_s']:.1f} s = {r['batched_per_s']:,.0f} check-ins/s "
          f"(door-knock {r['knock_per_s']:,.0f}/s, reception {r['reception_per_s']:,.0f}/s; push p50 "
          f"{r['batched_p50_ms']:.0f} ms p95 {r['batched_p95_ms']:.0f} ms; CPU per 1,000: server "
          f"{r['batched_server_cpu_ms_per_1k']:,.0f} ms, PostgreSQL {pgb} ms, load generator "
          f"{r['batched_loadgen_cpu_ms_per_1k']:,.0f} ms)")
    print(f"phones    {r['applied']:,}/{r['checkins']:,} check-ins applied in {r['wall_s']:.1f} s = "
          f"{r['checkins_per_s']:,.0f} check-ins/s ({r['pushes']:,} pushes, {r['pushes_per_s']:,.0f} pushes/s, "
          f"{r['mean_batch']:.2f} check-ins per push; wave 1 {r['wave1_per_s']:,.0f}/s, wave 2 {r['wave2_per_s']:,.0f}/s; "
          f"{r['retries']} retries, HTTP failures {r['failures'] or 'none'})")
    print(f"push      latency p50 {r['push_p50_ms']:.0f} ms  p95 {r['push_p95_ms']:.0f} ms  p99 {r['push_p99_ms']:.0f} ms")
    if r["knock_checkins"]:
        print(f"knock     leaders door-knocking: {r['knock_checkins']:,} check-ins in {r['knock_pushes']} pushes = "
              f"{r['knock_per_s']:,.0f} check-ins/s (push p50 {r['knock_p50_ms']:.0f} ms; server CPU "
              f"{r['knock_server_cpu_ms_per_1k']:,.0f} ms per 1,000)")
    print(f"queries   at {r['applied']:,} check-ins, one at a time: shelterStatus p50 {r['shelter_p50_ms']:.1f} ms "
          f"p95 {r['shelter_p95_ms']:.1f} ms (n={r['shelter_n']}, {r['max_listed_at_shelter']} listed of up to "
          f"{r['max_people_at_shelter']}), everyone listed p50 {r['everyone_p50_ms']:.1f} ms p95 "
          f"{r['everyone_p95_ms']:.1f} ms; "
          f"rollCall p50 {r['rollcall_p50_ms']:.1f} ms p95 {r['rollcall_p95_ms']:.1f} ms "
          f"(n={r['rollcall_n']}, up to {r['max_households']} households)")
    print(f"during    the surge: shelterStatus p50 {r['during_shelter_p50_ms']:.0f} ms p95 {r['during_shelter_p95_ms']:.0f} ms; "
          f"rollCall p50 {r['during_rollcall_p50_ms']:.0f} ms p95 {r['during_rollcall_p95_ms']:.0f} ms (n={r['during_n']})")
    pg = f"{r['pg_cpu_ms_per_1k']:,.0f}" if r["pg_cpu_ms_per_1k"] is not None else "?"
    print(f"cpu       per 1,000 check-ins: server {r['server_cpu_ms_per_1k']:,.0f} ms, PostgreSQL {pg} ms, "
          f"load generator {r['client_cpu_ms_per_1k']:,.0f} ms")
    phases = ", ".join(f"{k} {v:.0f}" for k, v in r["phase_rss_mb"].items())
    print(f"memory    server peak RSS {r['peak_rss_mb']:.0f} MB (idle {r['idle_rss_mb']:.0f} MB; by phase: {phases})")
    print(f"load avg  {r['load_before']} before the surge, {r['load_after']} after, {r['load_queries']} at the queries")
    print(f"state     {r['statuses']:,} statuses, {r['occupancy']:,} at shelters, {r['disputed']:,} disputed, "
          f"{r['unanswered']:,} households unanswered before the door-knock")
    print(f"verify    {ok}")


def targets(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in results:
        if r["database"] == "postgresql":
            met = r["batched_per_s"] >= TARGETS["pg_checkins_per_s"]
            lines.append(f"- PostgreSQL ≥ 2,000 check-ins/s pushed by devices in batches (one server process): "
                         f"{r['batched_per_s']:,.0f} — {'met' if met else 'NOT met'}; residents' own phones "
                         f"(1–5 per push, no target of their own): {r['checkins_per_s']:,.0f}/s")
        for name, key in (("shelterStatus", "shelter"), ("rollCall", "rollcall")):
            met = r[f"{key}_p95_ms"] <= TARGETS["p95_ms"]
            lines.append(f"- {r['database']}: {name} p95 ≤ 100 ms at {r['applied']:,} check-ins: "
                         f"{r[f'{key}_p95_ms']:.1f} ms — {'met' if met else 'NOT met'}")
    return lines


def markdown(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    cols = " | ".join(r["database"] for r in results)

    def row(label: str, fmt: Any) -> str:
        return f"| {label} | " + " | ".join(fmt(r) for r in results) + " |"

    def pg(r: dict[str, Any]) -> str:
        return f"{r['pg_cpu_ms_per_1k']:,.0f}" if r["pg_cpu_ms_per_1k"] is not None else "?"

    wards = "; ".join(
        f"{r['database']}: {r['residents']:,} residents in {r['households']:,} households, "
        f"{r['associations']} associations, {r['shelters']} shelters" for r in results
    )
    out = [
        "## checkin_surge — a ward checks in at once; shelterStatus and rollCall after the surge",
        "",
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `bench/checkin_surge.py`:",
        "",
        "```",
        command,
        "```",
        "",
        (f"Machine: {machine_line()}. Server: one `otagai serve` process (uvicorn with uvloop and "
         f"httptools, {args.workers} worker) on 127.0.0.1; the load generator (httpx, same machine) "
         f"shares the 2 cores with the server and the database."),
        "",
        (f"Ward ({wards}): every resident has an account, a token and a phone; households of 1–5; "
         f"the shelters are the first rows of `{args.shelter_file.name}`, through the "
         f"importer; 2 leaders per association, 2 staff per shelter; 15 % of residents with their "
         f"own visibility choices. Seeded with bulk inserts (no argon2); a drill opened with "
         f"`otagai incident open --drill`."),
        "",
        (f"Surge: {args.concurrency} phones pushing at once, each its whole queue (batches of up to "
         f"100). Wave 1: {args.silent_share:.0%} of households silent; in {args.proxy_share:.0%} of the "
         f"others one phone reports for the household (own check-in + proxy check-ins), else each "
         f"member reports on their own phone (60 % home, 30 % at a shelter, 10 % elsewhere; 30 % "
         f"with a location). Wave 2: follow-ups by people who already have a status (to a shelter, "
         f"or SAFE after a proxy's help report) up to one check-in per resident. One staff screen "
         f"and one leader screen poll every {args.poll_every} s during the surge. Then every "
         f"shelter's `shelterStatus` (as its staff) and every association's `rollCall` (as its "
         f"leader), {args.query_rounds} rounds, one query at a time. Then the batched devices: the "
        f"door-knock (each association's leader reports from one phone for every member of the "
        f"silent households) and reception (each shelter's staff confirm, from the reception desk, "
        f"everyone whose status is at that shelter), pushes of up to 100 check-ins, "
        f"{args.concurrency} devices at once."),
        "",
        f"| | {cols} |",
        "|---|" + "---|" * len(results),
        row("ward: residents / households / associations / shelters",
            lambda r: f"{r['residents']:,} / {r['households']:,} / {r['associations']} / {r['shelters']}"),
        row("**batched devices: applied check-ins/s** (door-knock + reception, ≤ 100 per push)",
            lambda r: f"**{r['batched_per_s']:,.0f}** ({r['batched_applied']:,} in {r['batched_pushes']:,} pushes, "
                      f"{r['batched_wall_s']:.1f} s; door-knock {r['knock_per_s']:,.0f}/s, reception "
                      f"{r['reception_per_s']:,.0f}/s)"),
        row("batched: push latency p50 / p95; CPU per 1,000 check-ins server / PostgreSQL / load generator",
            lambda r: f"{r['batched_p50_ms']:.0f} / {r['batched_p95_ms']:.0f} ms; "
                      f"{r['batched_server_cpu_ms_per_1k']:,.0f} / "
                      + (f"{r['batched_pg_cpu_ms_per_1k']:,.0f}" if r["batched_pg_cpu_ms_per_1k"] is not None else "?")
                      + f" / {r['batched_loadgen_cpu_ms_per_1k']:,.0f} ms"),
        row("residents' phones: applied check-ins/s (waves 1 + 2)", lambda r: f"{r['checkins_per_s']:,.0f}"),
        row("check-ins applied / sent, in pushes", lambda r: f"{r['applied']:,} / {r['checkins']:,} in {r['pushes']:,}"),
        row("pushes/s (mean check-ins per push)", lambda r: f"{r['pushes_per_s']:,.0f} ({r['mean_batch']:.2f})"),
        row("wave 1 / wave 2 check-ins/s", lambda r: f"{r['wave1_per_s']:,.0f} / {r['wave2_per_s']:,.0f}"),
        row("push latency p50 / p95 / p99", lambda r: f"{r['push_p50_ms']:.0f} / {r['push_p95_ms']:.0f} / {r['push_p99_ms']:.0f} ms"),
        row("door-knock (after the queries): check-ins/s in large pushes",
            lambda r: f"{r['knock_per_s']:,.0f} ({r['knock_checkins']:,} in {r['knock_pushes']} pushes; "
                      f"server CPU {r['knock_server_cpu_ms_per_1k']:,.0f} ms per 1,000)"),
        row("**shelterStatus p50 / p95** (after the surge; the staff screen's first 100 people listed)",
            lambda r: f"**{r['shelter_p50_ms']:.1f} / {r['shelter_p95_ms']:.1f} ms** (n={r['shelter_n']})"),
        row("shelterStatus p50 / p95 with everyone listed (the screen's \"show everyone\")",
            lambda r: f"{r['everyone_p50_ms']:.1f} / {r['everyone_p95_ms']:.1f} ms"),
        row("**rollCall p50 / p95** (after the surge)",
            lambda r: f"**{r['rollcall_p50_ms']:.1f} / {r['rollcall_p95_ms']:.1f} ms** (n={r['rollcall_n']})"),
        row("shelterStatus / rollCall p95 during the surge",
            lambda r: f"{r['during_shelter_p95_ms']:.0f} / {r['during_rollcall_p95_ms']:.0f} ms (n={r['during_n']})"),
        row("largest shelter list / roll-call", lambda r: f"{r['max_people_at_shelter']:,} people / {r['max_households']} households"),
        row("statuses, at shelters, disputed, households unanswered (before the door-knock)",
            lambda r: f"{r['statuses']:,}, {r['occupancy']:,}, {r['disputed']:,}, {r['unanswered']:,}"),
        row("CPU per 1,000 check-ins: server / PostgreSQL / load generator",
            lambda r: f"{r['server_cpu_ms_per_1k']:,.0f} / {pg(r)} / {r['client_cpu_ms_per_1k']:,.0f} ms"),
        row("server peak RSS", lambda r: f"**{r['peak_rss_mb']:.0f} MB** (idle {r['idle_rss_mb']:.0f} MB)"),
        row("retried pushes; HTTP failures", lambda r: f"{r['retries']}; " + (", ".join(f"{k}: {v}" for k, v in r["failures"].items()) or "none")),
        row("load average before / after the surge / at the queries",
            lambda r: f"{r['load_before']} / {r['load_after']} / {r['load_queries']}"),
        row("checks (exactly once, occupancy, unanswered)", lambda r: "passed" if not r["problems"] else
            "FAILED: " + "; ".join(r["problems"])),
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
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--associations", type=int, default=200)
    parser.add_argument("--shelters", type=int, default=50)
    parser.add_argument("--checkins", type=int, help="check-ins in all (default: one per resident)")
    parser.add_argument("--silent-share", type=float, default=0.1, help="households nobody answers for")
    parser.add_argument("--proxy-share", type=float, default=0.3, help="households one phone reports for")
    parser.add_argument("--concurrency", type=int, default=16, help="phones pushing at once")
    parser.add_argument("--poll-every", type=float, default=1.0, help="seconds between screen polls in the surge")
    parser.add_argument("--query-rounds", type=int, default=2, help="rounds over all shelters and associations")
    parser.add_argument("--no-door-knock", dest="door_knock", action="store_false",
                        help="skip wave 3 (leaders reporting for the unanswered households)")
    parser.add_argument("--shelter-file", type=Path, default=DEFAULT_SHELTERS_FILE)
    parser.add_argument("--sqlite-scale", type=float, default=1.0,
                        help="SQLite runs at this fraction of the sizes (e.g. 0.1: 10,000 residents)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--workers", type=int, default=1, help="server processes (targets assume 1)")
    parser.add_argument("--pg-socket", metavar="DIR", help="server reaches PostgreSQL over the Unix socket in DIR")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database (for profiling)")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="sample the server with py-spy through the batched phases (raw stacks to FILE)")
    parser.add_argument("--write-docs", action="store_true", help="replace this section of docs/BENCHMARKS.md")
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    args = parser.parse_args()
    if args.checkins is None:
        args.checkins = args.residents
    if args.associations > args.residents // 4 or args.shelters < 1:
        parser.error("need at least 4 residents per association and one shelter")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    # Stopped with SIGTERM: still stop the server and drop the database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = "python bench/checkin_surge.py " + shlex.join(sys.argv[1:])
    print(f"machine: {machine_line()}; load {loadavg()}", flush=True)
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
        write_docs(markdown(results, args, command), "checkin_surge")
        print("\nwritten to docs/BENCHMARKS.md")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
