"""Benchmark: the help-each-other marketplace at ward scale — near-me queries over 100,000
listings, and a crowd claiming the same few offers at once.

Seeded straight into the database in bulk (registration hashes passwords with argon2 on
purpose, far too slowly): `--users` residents with tokens, `--associations` associations,
and `--listings` (100,000) requests and offers spread over Tokyo's 23 wards (35.55–35.80 N,
139.60–139.90 E), a fifth of them visible to their association only. Then a real
`otagai serve` process on 127.0.0.1:

1. The first `listings(near:)` builds the server's in-memory index (timed: the cold start).
2. `--queries` searches from random points of the ward, radius 1 km, first 20, one at a time:
   p50/p95/p99 (target p95 ≤ 20 ms). The same again with a category filter, and with
   `--query-concurrency` searches in flight at once.
3. The same searches while a device pushes new listings (the index catches up on each query).
4. Claims: an owner pushes `--items` (50) offers of 1–4 units; `--claimers` (200) residents
   then push a claim each on a random offer, all at once, `--rounds` times. Checked in the
   database: no offer is ever claimed beyond its quantity, quantity left + claimed = offered,
   and every loser was told ITEM_ALREADY_CLAIMED.

Run:   .venv/bin/python bench/market.py --database both --write-docs
Quick: .venv/bin/python bench/market.py --listings 5000 --queries 100 --claimers 50 --items 10
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.accounts.models import AuthToken, User
from backend.api.drill.ward import analyze
from backend.board.associations import match_name
from backend.board.models import Association, AssociationMember
from backend.core.clock import utcnow
from backend.core.db import Database, driver_url
from backend.market import geo
from backend.market import search as market_search
from backend.market.models import Claim, IndexState, Listing
from backend.market.rules import CATEGORIES
from bench.harness import (
    OPS,
    Device,
    PushStats,
    Server,
    create_database,
    drain,
    drop_database,
    envelope,
    gql,
    loadavg,
    machine_line,
    percentile,
    tree_rss_kb,
    write_docs,
)

LISTINGS = (OPS / "market" / "Listings.graphql").read_text()
ME = (OPS / "accounts" / "Me.graphql").read_text()
WARD_BOX = (35.55, 35.80, 139.60, 139.90)
TARGET_P95_MS = 20.0


def _point(rng: random.Random) -> tuple[float, float]:
    south, north, west, east = WARD_BOX
    return rng.uniform(south, north), rng.uniform(west, east)


def seed(url: str, args: argparse.Namespace, rng: random.Random) -> tuple[list[tuple[str, str]], list[str]]:
    """Users (id, token), associations and listings in bulk (Core inserts)."""
    now = datetime.now(UTC)
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    users = [(str(uuid.uuid4()), "otg_bench_" + uuid.uuid4().hex) for _ in range(args.users)]
    associations = [str(uuid.uuid4()) for _ in range(args.associations)]
    member_of = {u: associations[i % len(associations)] for i, (u, _) in enumerate(users)}

    def insert(model: Any, rows: list[dict[str, Any]]) -> None:
        table: sa.Table = model.__table__
        with engine.begin() as conn:
            for at in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[at:at + 5000])

    insert(User, [{"id": u, "email": f"m{i}@bench.example", "password_hash": "!bench-seeded-no-login",
                   "display_name": f"住民{i}", "locale": "ja", "languages": [], "version": 1, "created_at": now}
                  for i, (u, _) in enumerate(users)])
    insert(AuthToken, [{"token_hash": hashlib.sha256(t.encode()).hexdigest(), "user_id": u, "created_at": now,
                        "expires_at": now + timedelta(days=30), "last_used_at": now, "revoked_at": None}
                       for u, t in users])
    insert(Association, [{"id": a, "name": f"ベンチ町会{i:03d}", "match_name": match_name(f"ベンチ町会{i:03d}"),
                          "area_geojson": None, "version": 1, "created_at": now}
                         for i, a in enumerate(associations)])
    insert(AssociationMember, [{"association_id": a, "user_id": u, "joined_at": now} for u, a in member_of.items()])
    rows = []
    for i in range(args.listings):
        owner = users[rng.randrange(len(users))][0]
        lat, lon = _point(rng)
        cell_lat, cell_lon = geo.snap(lat, lon)
        quantity = rng.randint(1, 5)
        rows.append({
            "id": str(uuid.uuid4()), "owner_id": owner, "owner_name": "住民", "kind": rng.choice(("REQUEST", "OFFER")),
            "category": rng.choice(CATEGORIES), "title": f"ベンチ出品 {i}", "body": "", "quantity": quantity,
            "quantity_left": quantity, "visibility": "ASSOCIATION" if rng.random() < 0.2 else "WARD",
            "association_id": member_of[owner], "exact_lat": lat, "exact_lon": lon, "cell_lat": cell_lat,
            "cell_lon": cell_lon, "contact": "", "status": "OPEN", "hidden": False, "hidden_by": None,
            "report_count": 0, "expires_at": now + timedelta(days=rng.randint(1, 30)), "created_at": now,
            "updated_at": now, "field_versions": {}, "index_seq": i + 1, "version": 1,
        })
    insert(Listing, rows)
    with engine.begin() as conn:
        conn.execute(sa.update(IndexState.__table__).values(generation=args.listings))  # type: ignore[attr-defined]
    analyze(engine)
    engine.dispose()
    return users, associations


async def search(http: httpx.AsyncClient, token: str, rng: random.Random, **extra: Any) -> tuple[float, int]:
    lat, lon = _point(rng)
    started = time.perf_counter()
    response = await gql(http, LISTINGS, {"near": {"lat": lat, "lon": lon}, "radiusMeters": 1000.0,
                                          "first": 20, **extra}, token)
    elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"listings failed: HTTP {response.status_code} {str(body)[:300]}")
    return elapsed * 1000, len(body["data"]["listings"]["edges"])


async def searches(http: httpx.AsyncClient, users: list[tuple[str, str]], count: int, rng: random.Random,
                   concurrency: int = 1, **extra: Any) -> tuple[list[float], list[int]]:
    times: list[float] = []
    found: list[int] = []
    remaining = iter(range(count))

    async def one_at_a_time() -> None:
        for _ in remaining:
            ms, n = await search(http, rng.choice(users)[1], rng, **extra)
            times.append(ms)
            found.append(n)

    await asyncio.gather(*(one_at_a_time() for _ in range(concurrency)))
    return times, found


async def floor(http: httpx.AsyncClient, users: list[tuple[str, str]], count: int,
                rng: random.Random) -> list[float]:
    """`me`, one at a time: what any signed-in request costs here (HTTP, auth, GraphQL)."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = await gql(http, ME, {}, rng.choice(users)[1])
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"me failed: HTTP {response.status_code}")
    return times


async def in_process(url: str, users: list[tuple[str, str]], count: int, rng: random.Random) -> list[float]:
    """The search service alone (index, membership, page rows), without HTTP or GraphQL."""
    db = Database(url)
    times = []
    try:
        for _ in range(count + 20):
            lat, lon = _point(rng)
            started = time.perf_counter()
            async with db.read_session() as session:
                await market_search.near(session, viewer_id=rng.choice(users)[0], lat=lat, lon=lon,
                                         radius_m=1000.0, kind=None, category=None, offset=0, limit=20,
                                         now=utcnow())
            times.append((time.perf_counter() - started) * 1000)
    finally:
        await db.dispose()
    return times[20:]  # the first ones build this process's index


async def writer(http: httpx.AsyncClient, device: Device, rng: random.Random, stop: asyncio.Event,
                 stats: PushStats) -> None:
    """One phone posting listings in batches of 5 while the searches run."""
    seq = 0
    while not stop.is_set():
        batch = []
        for _ in range(5):
            seq += 1
            lat, lon = _point(rng)
            batch.append(envelope(seq, "createListing", {
                "id": str(uuid.uuid4()), "kind": "OFFER", "category": rng.choice(CATEGORIES),
                "title": "新しい出品", "quantity": 2, "location": {"lat": lat, "lon": lon}}))
        await drain(http, device, batch, stats, keep_results=False)
        await asyncio.sleep(0.05)


def claim_totals(url: str, item_ids: list[str]) -> list[tuple[int, int, int]]:
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            offered = dict(conn.execute(sa.select(Listing.id, Listing.quantity).where(Listing.id.in_(item_ids))).all())  # type: ignore[attr-defined,arg-type]
            left = dict(conn.execute(sa.select(Listing.id, Listing.quantity_left).where(Listing.id.in_(item_ids))).all())  # type: ignore[attr-defined,arg-type]
            claimed = dict(conn.execute(
                sa.select(Claim.listing_id, sa.func.sum(Claim.quantity)).where(Claim.listing_id.in_(item_ids))  # type: ignore[attr-defined]
                .where(Claim.status == "CLAIMED").group_by(Claim.listing_id)  # type: ignore[arg-type]
            ).all())
    finally:
        engine.dispose()
    return [(int(offered[i]), int(left[i]), int(claimed.get(i, 0))) for i in item_ids]


async def resend_until_answered(http: httpx.AsyncClient, device: Device, queue: list[dict[str, Any]],
                                stats: PushStats, errors: list[str]) -> None:
    """Like the outbox: a reply that is not a push payload (a top-level error) leaves the batch
    queued and it is sent again (mutationIds keep it exactly-once); counted in `errors`."""
    while True:
        try:
            await drain(http, device, queue, stats)
            return
        except (RuntimeError, httpx.TransportError) as exc:
            errors.append(str(exc)[:160])
            await asyncio.sleep(0.5)


async def claim_storm(http: httpx.AsyncClient, url: str, users: list[tuple[str, str]], args: argparse.Namespace,
                      rng: random.Random) -> dict[str, Any]:
    owner = Device(users[0][1], users[0][0])
    items = [str(uuid.uuid4()) for _ in range(args.items)]
    quantities = [rng.randint(1, 4) for _ in items]
    lat, lon = _point(rng)
    stats = PushStats()
    await drain(http, owner, [envelope(i + 1, "createListing", {
        "id": item, "kind": "OFFER", "category": "WATER", "title": f"水 {q}ケース", "quantity": q,
        "location": {"lat": lat, "lon": lon}}) for i, (item, q) in enumerate(zip(items, quantities, strict=True))],
        stats)
    claimers = [Device(t, u) for u, t in users[1:args.claimers + 1]]
    claim_stats = PushStats()
    errors: list[str] = []
    started = time.perf_counter()
    for round_no in range(args.rounds):
        work = [(d, [envelope(round_no + 1, "claimListing", {
            "id": str(uuid.uuid4()), "listingId": rng.choice(items), "quantity": rng.randint(1, 2)})])
            for d in claimers]
        claim_stats.sent_actions += len(work)
        await asyncio.gather(*(resend_until_answered(http, d, q, claim_stats, errors) for d, q in work))
    elapsed = time.perf_counter() - started
    totals = claim_totals(url, items)
    over = sum(1 for offered, _, claimed in totals if claimed > offered)
    mismatched = sum(1 for offered, left, claimed in totals if offered - left != claimed)
    codes = dict(claim_stats.codes)
    return {
        "items": len(items), "offered": sum(quantities), "claimed": sum(c for _, _, c in totals),
        "claims_sent": claim_stats.sent_actions, "applied": claim_stats.applied, "codes": codes,
        "over_claimed_items": over, "mismatched_items": mismatched, "seconds": elapsed,
        "claim_p50_ms": percentile(claim_stats.latencies, 50) * 1000,
        "claim_p95_ms": percentile(claim_stats.latencies, 95) * 1000,
        "retries": claim_stats.retries, "errors": len(errors),
        "error_kinds": sorted({e.split("'requestId'")[0][-90:] for e in errors})[:3],
        "ok": over == 0 and mismatched == 0 and set(codes) <= {"ITEM_ALREADY_CLAIMED", "None"},
    }


async def run_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix=f"otagai-market-{kind}-"))
    url = create_database(kind, workdir)
    server: Server | None = None
    try:
        started = time.perf_counter()
        users, _ = seed(url, args, rng)
        seeded_s = time.perf_counter() - started
        print(f"[{kind}] seeded {args.listings:,} listings, {len(users):,} users in {seeded_s:.1f} s")
        server = Server(url, workdir, workers=1)
        server.start()
        async with httpx.AsyncClient(base_url=server.base, timeout=120) as http:
            cold_ms, _ = await search(http, users[0][1], rng)
            await searches(http, users, 50, rng)  # warm-up
            baseline = await floor(http, users, args.queries, rng)
            plain, found = await searches(http, users, args.queries, rng)
            filtered, _ = await searches(http, users, args.queries, rng, category="WATER")
            parallel, _ = await searches(http, users, args.queries, rng, concurrency=args.query_concurrency)
        service = await in_process(url, users, args.queries, rng)
        # Fresh connections for each phase: the server closes idle keep-alive connections.
        async with httpx.AsyncClient(base_url=server.base, timeout=120) as http:
            stop, write_stats = asyncio.Event(), PushStats()
            task = asyncio.create_task(writer(http, Device(users[-1][1], users[-1][0]), rng, stop, write_stats))
            during, _ = await searches(http, users, args.queries, rng)
            stop.set()
            await task
            rss_kb = tree_rss_kb(server.pid)
        # No keep-alive: a connection idle while the rest of a round runs may be closed by the
        # server just as the next round reuses it.
        limits = httpx.Limits(max_connections=args.claimers + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=server.base, timeout=120, limits=limits) as http:
            load_before = loadavg()
            storm = await claim_storm(http, url, users, args, rng)
            load_after = loadavg()
        result = {
            "kind": kind, "listings": args.listings, "cold_ms": cold_ms, "seed_s": seeded_s,
            "p50": percentile(plain, 50), "p95": percentile(plain, 95), "p99": percentile(plain, 99),
            "service_p50": percentile(service, 50), "service_p95": percentile(service, 95),
            "me_p50": percentile(baseline, 50), "me_p95": percentile(baseline, 95),
            "found_mean": statistics.mean(found) if found else 0,
            "filtered_p95": percentile(filtered, 95), "parallel_p95": percentile(parallel, 95),
            "parallel_per_s": len(parallel) / max(1e-9, sum(parallel) / 1000 / args.query_concurrency),
            "during_p95": percentile(during, 95), "written_during": write_stats.applied,
            "rss_mb": rss_kb / 1024, "storm": storm, "load": (load_before, load_after),
        }
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str) if args.json else
              f"[{kind}] p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, cold {cold_ms:.0f} ms; "
              f"claims {storm['claimed']}/{storm['offered']} claimed, ok={storm['ok']}")
        return result
    finally:
        if server is not None:
            server.stop()
        if not args.keep_database:
            drop_database(url)


def markdown(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    kinds = [r["kind"] for r in results]
    row = lambda label, fn: f"| {label} | " + " | ".join(fn(r) for r in results) + " |"
    lines = [
        "## market — near-me over 100,000 listings, and a crowd claiming at once", "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `bench/market.py`:", "",
        "```", command, "```", "",
        (f"Machine: {machine_line()}. Server: one `otagai serve` process (1 worker) on 127.0.0.1; "
        "the load generator shares the machine."), "",
        (f"Workload: {args.listings:,} listings seeded over the 23 wards (a fifth association-only), "
        f"{args.users:,} residents in {args.associations} associations. Searches: `listings(near:, "
        f"radiusMeters: 1000, first: 20)` from random points, {args.queries} each, one at a time unless "
        f"said. Claims: {args.claimers} residents claim 1–2 units of one of {args.items} offers (1–4 units "
        f"each), all at once, {args.rounds} rounds."), "",
        "| | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(results),
        row("listings(near:) p50 / p95 / p99", lambda r: f"{r['p50']:.1f} / **{r['p95']:.1f}** / {r['p99']:.1f} ms"),
        row("for comparison: `me` p50 / p95 (any request's floor)",
            lambda r: f"{r['me_p50']:.1f} / {r['me_p95']:.1f} ms"),
        row("the search service alone, in-process (no HTTP, no GraphQL) p50 / p95",
            lambda r: f"{r['service_p50']:.1f} / {r['service_p95']:.1f} ms"),
        row("listings found per search (mean, of first 20)", lambda r: f"{r['found_mean']:.1f}"),
        row("p95 with a category filter", lambda r: f"{r['filtered_p95']:.1f} ms"),
        row(f"p95 with {args.query_concurrency} searches in flight", lambda r: f"{r['parallel_p95']:.1f} ms"),
        row("p95 while a phone posts listings", lambda r: f"{r['during_p95']:.1f} ms ({r['written_during']} posted)"),
        row("first search (builds the index)", lambda r: f"{r['cold_ms']:.0f} ms"),
        row("server RSS after the searches", lambda r: f"{r['rss_mb']:.0f} MB"),
        row("claims: units claimed / offered", lambda r: f"{r['storm']['claimed']} / {r['storm']['offered']}"),
        row("claims applied / sent", lambda r: f"{r['storm']['applied']} / {r['storm']['claims_sent']}"),
        row("claim push latency p50 / p95", lambda r: f"{r['storm']['claim_p50_ms']:.0f} / {r['storm']['claim_p95_ms']:.0f} ms"),
        row("rejections by code", lambda r: ", ".join(f"{k} {v}" for k, v in r["storm"]["codes"].items()) or "none"),
        row("retried pushes (transient)", lambda r: str(r["storm"]["retries"])),
        row("pushes resent after a top-level error or a dropped connection",
            lambda r: str(r["storm"]["errors"])),
        row("offers claimed beyond quantity", lambda r: f"**{r['storm']['over_claimed_items']}**"),
        row("load average before / after the claims", lambda r: f"{r['load'][0]} / {r['load'][1]}"),
        "", "Targets:", "",
    ]
    for r in results:
        met = "met" if r["p95"] <= TARGET_P95_MS else "NOT met"
        lines.append(f"- {r['kind']}: listings(near:) p95 ≤ {TARGET_P95_MS:.0f} ms at 1 km: {r['p95']:.1f} ms — {met}")
        lines.append(f"- {r['kind']}: claimed never exceeds offered: "
                     f"{'held' if r['storm']['ok'] else 'VIOLATED'}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--associations", type=int, default=100)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--query-concurrency", type=int, default=4)
    parser.add_argument("--claimers", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--write-docs", action="store_true", help="replace this section of docs/BENCHMARKS.md")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.users < args.claimers + 2:
        parser.error("--users must exceed --claimers by 2 (an owner and a writer)")
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    results = [asyncio.run(run_one(kind, args)) for kind in kinds]
    command = "python bench/market.py " + shlex.join(sys.argv[1:])
    text = markdown(results, args, command)
    print(text)
    if args.write_docs:
        write_docs(text, "market")
    return 0 if all(r["storm"]["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
