"""Benchmark: a circular (回覧板) read by a large association, then the leader's screens.

An association of `--households` households (5,000) of 1–3 members, every member with an
account, a token and a phone, seeded in bulk (registration hashes passwords with argon2 on
purpose, far too slowly for this). A real `otagai serve` process on 127.0.0.1 then takes, as
the PWA outbox sends them:

1. The board: `--posts` posts by members (createPost), pushed from their phones.
2. The leader's circular with RSVP (one createPost of kind CIRCULAR).
3. The reads: `--read-share` (80 %) of households read it — one member's phone pushes
   markCircularRead, or rsvpCircular for `--rsvp-share` of them; in `--second-reader-share`
   of those a second member reads it too (one receipt per household still); a third of the
   reads come from phones that were offline for hours (client time hours before the push).
   `--concurrency` phones push at once, each its own queue.

Then, one query at a time, `--rounds` times each, what a leader's screen asks for: a page of
`circularReceipts` (`--page-size`, 100 households: `CircularReceiptsPage` with `first`), the
first page of the unread households (unreadOnly: the follow-up list a leader works from) and
the page after it; and the first and second `board` page (`first: 20`) as a member. Also
measured, as the figure for the whole list in one answer: `circularReceipts` without `first`
(all households; `CircularReceipts`) and `UnreadHouseholds` (every unread household). The
leader's device pulls every receipt from cursor null.

Checked at the end: readCount and unreadCount match the plan exactly, the unread households
are exactly the planned ones (in the whole list, and walking every unread page), every page of
all households follows the one before in the order of the whole list, the RSVP tallies match,
every action answered APPLIED once.

Printed and written to docs/BENCHMARKS.md (with --write-docs): reads/s, push latency,
query latency p50/p95, the leader's pull, server peak RSS, the machine and the load average.

Run:   .venv/bin/python bench/board.py --database both --write-docs
Quick: .venv/bin/python bench/board.py --database sqlite --households 500 --posts 50
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import shlex
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.accounts.models import AuthToken, Person, User, UserRole
from backend.accounts.people import fold_name
from backend.board.associations import match_name
from backend.board.models import Association, AssociationMember, Household, HouseholdMember
from backend.core.db import driver_url
from bench.harness import (
    OPS,
    Device,
    RssSampler,
    Server,
    create_database,
    drop_database,
    envelope,
    gql,
    loadavg,
    machine_line,
    percentile,
    push_all,
    tree_cpu_s,
    tree_rss_kb,
    write_docs,
)

RECEIPTS = (OPS / "board" / "CircularReceipts.graphql").read_text()
UNREAD = (OPS / "board" / "UnreadHouseholds.graphql").read_text()
# A leader's screen: one page of receipts (with totalCount and pageInfo).
PAGE = (OPS / "board" / "CircularReceiptsPage.graphql").read_text()
BOARD = (OPS / "board" / "Board.graphql").read_text()
PULL = (OPS / "sync" / "Pull.graphql").read_text()
TARGET_P95_MS = 50.0
SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
GIVEN = ("花子", "太郎", "陽菜", "蓮", "結衣", "大翔", "美咲", "Anh", "Maria", "Tom")


@dataclass
class Member:
    id: str
    token: str
    name: str


@dataclass
class Home:
    id: str
    label: str
    address: str
    members: list[Member] = field(default_factory=list)


@dataclass
class Town:
    association_id: str
    leader: Member
    homes: list[Home]


def build_town(args: argparse.Namespace, rng: random.Random) -> Town:
    homes = []
    for index in range(args.households):
        surname = rng.choice(SURNAMES)
        home = Home(str(uuid.uuid4()), f"{surname}家",
                    f"駒込{index % 7 + 1}-{index // 7 % 30 + 1}-{index // 210 + 1}")
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            home.members.append(Member(str(uuid.uuid4()), "otg_bench_" + uuid.uuid4().hex,
                                       f"{surname} {rng.choice(GIVEN)}"))
        homes.append(home)
    leader = Member(str(uuid.uuid4()), "otg_bench_" + uuid.uuid4().hex, "会長 山本")
    return Town(str(uuid.uuid4()), leader, homes)


def seed(url: str, town: Town) -> None:
    """Accounts, people, the association, households, memberships and tokens (Core inserts)."""
    now = datetime.now(UTC)
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    people = [m for h in town.homes for m in h.members] + [town.leader]

    def insert(model: Any, rows: list[dict[str, Any]]) -> None:
        with engine.begin() as conn:
            for at in range(0, len(rows), 5000):
                conn.execute(model.__table__.insert(), rows[at:at + 5000])

    insert(Association, [{"id": town.association_id, "name": "ベンチ町会", "match_name": match_name("ベンチ町会"),
                          "area_geojson": None, "is_open": False, "version": 1, "created_at": now}])
    insert(User, [{"id": m.id, "email": f"{m.id}@bench.example", "password_hash": "!bench-seeded-no-login",
                   "display_name": m.name, "locale": "ja", "languages": [], "version": 1, "created_at": now}
                  for m in people])
    insert(Person, [{"id": m.id, "user_id": m.id, "display_name": m.name, "search_name": fold_name(m.name),
                     "search_kana": None, "birth_year": None, "phone_digits": None, "created_by": m.id,
                     "merged_into": None, "version": 1, "created_at": now} for m in people])
    insert(AuthToken, [{"token_hash": hashlib.sha256(m.token.encode()).hexdigest(), "user_id": m.id,
                        "created_at": now, "expires_at": now + timedelta(days=365), "last_used_at": now,
                        "revoked_at": None} for m in people])
    insert(Household, [{"id": h.id, "association_id": town.association_id, "label": h.label,
                        "address": h.address, "group_name": f"{i % 12 + 1}班", "version": 1,
                        "created_by": None, "created_at": now} for i, h in enumerate(town.homes)])
    insert(HouseholdMember, [{"household_id": h.id, "person_id": m.id} for h in town.homes for m in h.members])
    insert(AssociationMember, [{"association_id": town.association_id, "user_id": m.id, "joined_at": now,
                                "office": "", "version": 1} for m in people])
    insert(UserRole, [{"id": str(uuid.uuid4()), "user_id": town.leader.id, "role": "LEADER",
                       "scope_id": town.association_id, "granted_by": None, "created_at": now}])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE")
    engine.dispose()


@dataclass
class ReadPlan:
    work: list[tuple[Member, list[dict[str, Any]]]]  # (phone owner, envelopes)
    read_homes: set[str]
    rsvp: dict[str, int]


def plan_reads(args: argparse.Namespace, town: Town, circular: str, rng: random.Random) -> ReadPlan:
    work: list[tuple[Member, list[dict[str, Any]]]] = []
    read_homes: set[str] = set()
    last_answer: dict[str, str] = {}
    now = datetime.now(UTC)
    chosen = rng.sample(town.homes, round(len(town.homes) * args.read_share))
    for home in chosen:
        read_homes.add(home.id)
        readers = home.members[:2] if len(home.members) > 1 and rng.random() < args.second_reader_share \
            else home.members[:1]
        for number, reader in enumerate(readers):
            offline = rng.random() < 1 / 3  # opened hours ago on a phone without signal
            at = now - timedelta(hours=rng.uniform(1, 8)) if offline else None
            if number == 0 and rng.random() < args.rsvp_share:  # one answer per household
                answer = rng.choice(("ATTEND", "ATTEND", "ABSENT", "UNDECIDED"))
                last_answer[home.id] = answer
                action = envelope(1, "rsvpCircular", {"postId": circular, "answer": answer}, client_time=at)
            else:
                action = envelope(1, "markCircularRead", {"postId": circular}, client_time=at)
            work.append((reader, [action]))
    rng.shuffle(work)
    rsvp = {"attend": 0, "absent": 0, "undecided": 0}
    for answer in last_answer.values():
        rsvp[answer.lower()] += 1
    return ReadPlan(work, read_homes, rsvp)


async def timed(http: httpx.AsyncClient, document: str, variables: dict[str, Any], token: str) -> tuple[float, Any]:
    started = time.perf_counter()
    response = await gql(http, document, variables, token)
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"query failed: HTTP {response.status_code} {str(body)[:300]}")
    return elapsed, body["data"]


async def leader_pull(http: httpx.AsyncClient, token: str) -> tuple[int, int, float]:
    cursor, changes, pages = None, 0, 0
    started = time.perf_counter()
    while True:
        _, data = await timed(http, PULL, {"input": {"cursor": cursor, "limit": 500}}, token)
        payload = data["pull"]
        changes += len(payload["changes"])
        pages += 1
        cursor = payload["cursor"]
        if not payload["hasMore"]:
            return changes, pages, time.perf_counter() - started


async def leader_screens(
    http: httpx.AsyncClient, town: Town, circular: str, args: argparse.Namespace, server_pid: int
) -> tuple[dict[str, list[float]], dict[str, float], dict[str, Any], dict[str, Any]]:
    """`--rounds` rounds, one query at a time: the latencies by screen, the server's mean CPU
    time per request by screen (what a busy machine inflates least), and the whole receipts
    list and whole unread list of the first round."""
    leader, member = town.leader.token, town.homes[0].members[0].token
    times: dict[str, list[float]] = {key: [] for _, key in SCREENS}
    cpu: dict[str, float] = {key: 0.0 for _, key in SCREENS}

    async def measure(key: str, document: str, variables: dict[str, Any], token: str) -> Any:
        before = tree_cpu_s(server_pid)
        ms, data = await timed(http, document, variables, token)
        cpu[key] += tree_cpu_s(server_pid) - before
        times[key].append(ms)
        return data

    page = {"postId": circular, "first": args.page_size}
    whole: dict[str, Any] = {}
    unread: dict[str, Any] = {}
    for _ in range(args.rounds):
        await measure("page", PAGE, page, leader)
        data = await measure("unread_page", PAGE, {**page, "unreadOnly": True}, leader)
        await measure("unread_next", PAGE, {**page, "unreadOnly": True,
                                            "after": data["circularReceipts"]["pageInfo"]["endCursor"]}, leader)
        data = await measure("board", BOARD, {"associationId": town.association_id, "first": 20}, member)
        await measure("deep", BOARD, {"associationId": town.association_id, "first": 20,
                                      "after": data["board"]["pageInfo"]["endCursor"]}, member)
        data = await measure("full", RECEIPTS, {"postId": circular}, leader)
        whole = whole or data["circularReceipts"]
        data = await measure("unread", UNREAD, {"postId": circular}, leader)
        unread = unread or data["circularReceipts"]
    return times, {key: 1000 * total / max(1, args.rounds) for key, total in cpu.items()}, whole, unread


async def walk_pages(http: httpx.AsyncClient, token: str, circular: str, size: int) -> dict[str, Any]:
    """Every page of all households and of the unread ones, as a leader scrolls to the end."""
    walked: dict[str, Any] = {}
    for name, unread_only in (("all", False), ("unread", True)):
        ids: list[str] = []
        counts: set[tuple[int, int, int]] = set()
        after = None
        while True:
            _, data = await timed(http, PAGE, {"postId": circular, "first": size, "unreadOnly": unread_only,
                                               "after": after}, token)
            page = data["circularReceipts"]
            ids += [h["id"] for h in page["households"]]
            counts.add((page["readCount"], page["unreadCount"], page["totalCount"]))
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        walked[name] = {"ids": ids, "counts": counts}
    return walked


def check_receipts(town: Town, plan: ReadPlan, whole: dict[str, Any], unread: dict[str, Any],
                   walked: dict[str, Any]) -> list[str]:
    problems = []
    expected_unread = {h.id for h in town.homes} - plan.read_homes
    counts = (len(plan.read_homes), len(expected_unread))
    if (whole["readCount"], whole["unreadCount"]) != counts:
        problems.append(f"counts {whole['readCount']}/{whole['unreadCount']}, planned {counts[0]}/{counts[1]}")
    listed_unread = {h["id"] for h in unread["households"]}
    if listed_unread != expected_unread:
        problems.append(f"{len(listed_unread ^ expected_unread)} households wrongly listed unread")
    if walked["all"]["ids"] != [h["id"] for h in whole["households"]]:
        problems.append("the pages of all households differ from the whole list")
    paged_unread = walked["unread"]["ids"]
    if len(paged_unread) != len(set(paged_unread)) or set(paged_unread) != expected_unread:
        problems.append(f"{len(set(paged_unread) ^ expected_unread)} households wrongly paged unread")
    if walked["all"]["counts"] != {(*counts, len(town.homes))} or walked["unread"]["counts"] != {
            (*counts, len(expected_unread))}:
        problems.append(f"page counts {walked['all']['counts']} / {walked['unread']['counts']}")
    if whole["rsvp"] != plan.rsvp:
        problems.append(f"rsvp {whole['rsvp']} planned {plan.rsvp}")
    return problems


async def run_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    town = build_town(args, rng)
    workdir = Path(tempfile.mkdtemp(prefix=f"otagai-board-{kind}-"))
    url = create_database(kind, workdir)
    server: Server | None = None
    result: dict[str, Any] = {"database": kind, "households": len(town.homes),
                              "members": sum(len(h.members) for h in town.homes)}
    try:
        started = time.perf_counter()
        seed(url, town)
        result["seed_s"] = time.perf_counter() - started
        server = Server(url, workdir, args.workers)
        server.start()
        sampler = RssSampler(server.pid)
        sampler.start()
        result["idle_rss_mb"] = tree_rss_kb(server.pid) / 1024
        async with httpx.AsyncClient(base_url=server.base, timeout=120) as http:
            members = [m for h in town.homes for m in h.members]
            posters = rng.sample(members, min(len(members), max(1, args.posts // 5)))
            post_work = [(Device(p.token, p.id), [
                envelope(i + 1, "createPost", {"id": str(uuid.uuid4()), "associationId": town.association_id,
                                               "kind": "POST", "title": f"お知らせ {i}", "body": "本文" * 40})
                for i in range(5)]) for p in posters]
            sampler.phase = "posts"
            post_stats, post_s = await push_all(http, post_work, args.concurrency)
            circular = str(uuid.uuid4())
            leader = Device(town.leader.token, town.leader.id)
            circ_stats, _ = await push_all(http, [(leader, [envelope(1, "createPost", {
                "id": circular, "associationId": town.association_id, "kind": "CIRCULAR",
                "title": "秋祭りのご案内", "body": "10月12日（日）に秋祭りを行います。", "urgency": "IMPORTANT",
                "rsvp": True})])], 1)
            plan = plan_reads(args, town, circular, rng)
            phones: dict[str, Device] = {}
            work = []
            for reader, queue in plan.work:
                device = phones.setdefault(reader.id, Device(reader.token, reader.id))
                work.append((device, queue))
            sampler.phase = "reads"
            load_before = loadavg()
            read_stats, read_s = await push_all(http, work, args.concurrency, keep_results=False)
            result["load_reads"] = f"{load_before} / {loadavg()}"
            sampler.phase = "queries"
            result["load_queries"] = loadavg()
            times, cpu_ms, whole, unread = await leader_screens(http, town, circular, args, server.pid)
            sampler.phase = "verify"
            walked = await walk_pages(http, town.leader.token, circular, args.page_size)
            sampler.phase = "pull"
            pulled, pages, pull_s = await leader_pull(http, town.leader.token)
        sampler.stop()
        result.update(
            posts=post_stats.applied, posts_per_s=post_stats.applied / post_s,
            reads=read_stats.applied, reads_sent=read_stats.sent_actions, reads_per_s=read_stats.applied / read_s,
            read_p50_ms=percentile(read_stats.latencies, 50) * 1000,
            read_p95_ms=percentile(read_stats.latencies, 95) * 1000,
            retries=read_stats.retries + post_stats.retries, failures=read_stats.failures | post_stats.failures,
            **{f"{key}_p{pct}_ms": percentile(values, pct) for key, values in times.items() for pct in (50, 95)},
            **{f"{key}_cpu_ms": ms for key, ms in cpu_ms.items()},
            rounds=args.rounds, page_size=args.page_size, pulled=pulled, pull_pages=pages, pull_s=pull_s,
            peak_rss_mb=sampler.peak_kb / 1024,
            read_count=whole["readCount"], unread_count=whole["unreadCount"], rsvp=whole["rsvp"],
        )
        problems = check_receipts(town, plan, whole, unread, walked)
        for name, stats in (("posts", post_stats), ("circular", circ_stats), ("reads", read_stats)):
            if stats.applied != stats.sent_actions or stats.other:
                problems.append(f"{name}: {stats.applied} of {stats.sent_actions} APPLIED; {stats.other} {stats.codes}")
        result["problems"] = problems
        return result
    finally:
        if server is not None:
            server.stop()
        if not args.keep_database:
            drop_database(url)


def show(r: dict[str, Any]) -> None:
    print(f"\n== {r['database']}: {r['households']:,} households, {r['members']:,} members "
          f"(seeded in {r['seed_s']:.1f} s)")
    print(f"posts     {r['posts']:,} createPost at {r['posts_per_s']:,.0f}/s")
    print(f"reads     {r['reads']:,} of {r['reads_sent']:,} applied at {r['reads_per_s']:,.0f}/s; push p50 "
          f"{r['read_p50_ms']:.0f} ms p95 {r['read_p95_ms']:.0f} ms ({r['retries']} retries, "
          f"HTTP failures {r['failures'] or 'none'}); load {r['load_reads']}")
    for label, key in SCREENS:
        print(f"{label.format(**r):<48} p50 {r[f'{key}_p50_ms']:7.1f} ms  p95 {r[f'{key}_p95_ms']:7.1f} ms  "
              f"server CPU {r[f'{key}_cpu_ms']:6.1f} ms/request")
    print(f"(n={r['rounds']} each; load at the queries {r['load_queries']})")
    print(f"pull      leader: {r['pulled']:,} changes in {r['pull_pages']} pages, {r['pull_s']:.2f} s")
    print(f"state     read {r['read_count']:,}, unread {r['unread_count']:,}, rsvp {r['rsvp']}")
    print(f"memory    server peak RSS {r['peak_rss_mb']:.0f} MB (idle {r['idle_rss_mb']:.0f} MB)")
    print(f"verify    {'passed' if not r['problems'] else 'FAILED: ' + '; '.join(r['problems'])}")


# (label, key); the first three are the leader's and the member's screens, with the 50 ms target.
SCREENS = [
    ("receipts: a page of {page_size} households", "page"),
    ("receipts: first page of unread households", "unread_page"),
    ("board: first page (20 posts)", "board"),
    ("receipts: next page of unread households", "unread_next"),
    ("board: second page", "deep"),
    ("receipts: whole list ({households:,} households)", "full"),
    ("receipts: whole unread list (UnreadHouseholds)", "unread"),
]
TARGETED = ("page", "unread_page", "unread_next", "board")


def targets(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in results:
        for label, key in SCREENS:
            met = r[f"{key}_p95_ms"] <= TARGET_P95_MS
            verdict = ("met" if met else "NOT met") if key in TARGETED else "reported, no target"
            lines.append(f"- {r['database']}: {label.format(**r)} p95 at {r['households']:,} households: "
                         f"{r[f'{key}_p95_ms']:.1f} ms (target 50 ms) — {verdict}")
    return lines


def markdown(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    cols = " | ".join(r["database"] for r in results)

    def row(label: str, fmt: Any) -> str:
        return f"| {label} | " + " | ".join(fmt(r) for r in results) + " |"

    return "\n".join([
        "## board — a circular read by 80 % of 5,000 households; receipts a page at a time and the board page",
        "",
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `bench/board.py`:",
        "",
        "```",
        command,
        "```",
        "",
        (f"Machine: {machine_line()}. Server: one `otagai serve` process ({args.workers} worker) on "
         f"127.0.0.1; the load generator (httpx, same machine) shares the cores with the server and "
         f"the database."),
        "",
        (f"Workload: one association of {args.households:,} households of 1–3 members (each with an "
         f"account, a token and a phone; seeded in bulk). Members push {args.posts} posts; the leader "
         f"pushes a circular with RSVP; {args.read_share:.0%} of households read it "
         f"({args.rsvp_share:.0%} of them answering the RSVP; in {args.second_reader_share:.0%} a second "
         f"member reads it too; a third of the reads from phones offline for 1–8 hours), "
         f"{args.concurrency} phones pushing at once. Then {args.rounds} rounds, one query at a time: "
         f"what a leader's screen asks for — a page of {args.page_size} households of `circularReceipts` "
         f"(`first`), the first and the next page of the unread households (`unreadOnly`) — and the "
         f"first and second `board` page (`first: 20`) as a member; for comparison, the whole list in "
         f"one answer (`CircularReceipts` without `first`, and `UnreadHouseholds`); last, the "
         f"leader's device pulls everything."),
        "",
        f"| | {cols} |",
        "|---|" + "---|" * len(results),
        row("households / members", lambda r: f"{r['households']:,} / {r['members']:,}"),
        row("reads applied / sent; reads/s", lambda r: f"{r['reads']:,} / {r['reads_sent']:,}; "
                                                      f"**{r['reads_per_s']:,.0f}/s**"),
        row("read push latency p50 / p95", lambda r: f"{r['read_p50_ms']:.0f} / {r['read_p95_ms']:.0f} ms"),
        *(row(f"**{label.format(**results[0])}, p50 / p95**" if key in TARGETED
              else f"{label.format(**results[0])}, p50 / p95",
              lambda r, key=key: f"{r[f'{key}_p50_ms']:.1f} / {r[f'{key}_p95_ms']:.1f} ms "
                                 f"(server CPU {r[f'{key}_cpu_ms']:.1f} ms)")
          for label, key in SCREENS),
        row("createPost/s", lambda r: f"{r['posts_per_s']:,.0f} ({r['posts']} posts)"),
        row("leader's full pull", lambda r: f"{r['pulled']:,} changes, {r['pull_pages']} pages, {r['pull_s']:.2f} s"),
        row("read / unread / RSVP attend-absent-undecided", lambda r: (
            f"{r['read_count']:,} / {r['unread_count']:,} / {r['rsvp']['attend']}-{r['rsvp']['absent']}-"
            f"{r['rsvp']['undecided']}")),
        row("server peak RSS", lambda r: f"{r['peak_rss_mb']:.0f} MB (idle {r['idle_rss_mb']:.0f} MB)"),
        row("retried pushes; HTTP failures", lambda r: f"{r['retries']}; " + (
            ", ".join(f"{k}: {v}" for k, v in r["failures"].items()) or "none")),
        row("load average before / after the reads; at the queries",
            lambda r: f"{r['load_reads']}; {r['load_queries']}"),
        row("checks (counts, unread list, every page, RSVP, exactly once)", lambda r: "passed" if not r["problems"] else
            "FAILED: " + "; ".join(r["problems"])),
        "",
        "Targets:",
        "",
        *targets(results),
        "",
        ("Where the time goes: a page of `circularReceipts` is two statements after the sign-in "
         "check — the circular, then the counts and tallies (uncorrelated subqueries, computed once: "
         "a count of the association's households, the circular's receipts by (post, rsvp, read_at)) "
         "together with one page of households walked from the (association, street key) index, "
         "each household's receipt probed by primary key. The whole list is the same statement "
         "with a join instead of probes; its time is mostly GraphQL execution and JSON for 5,000 "
         "objects (graphql-core completes every field of every object), which no database work "
         "brings under 50 ms on this machine: it is reported, not targeted. The board page is two "
         "statements after the sign-in check (who may read; the page with names, comment counts "
         "and photo ids as subqueries); PostgreSQL was slower than SQLite because each of the four "
         "statements it used to take is a round trip to another process. Server CPU per request is "
         "the figure a busy machine inflates least; check the load average in the table: with "
         "5–10 runnable processes on 2 cores every latency is inflated."),
        "",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--posts", type=int, default=200, help="member posts on the board")
    parser.add_argument("--read-share", type=float, default=0.8)
    parser.add_argument("--rsvp-share", type=float, default=0.3)
    parser.add_argument("--second-reader-share", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16, help="phones pushing at once")
    parser.add_argument("--rounds", type=int, default=50, help="query rounds")
    parser.add_argument("--page-size", type=int, default=100, help="households on a leader's screen")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--write-docs", action="store_true", help="replace this section of docs/BENCHMARKS.md")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = "python bench/board.py " + shlex.join(sys.argv[1:])
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
        write_docs(markdown(results, args, command), "board")
        print("\nwritten to docs/BENCHMARKS.md")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
