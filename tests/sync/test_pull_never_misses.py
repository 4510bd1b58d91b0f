"""SYNC.md hard case 11: concurrent writers and small-page pullers — no puller misses a change.

A real server process with two workers (so transactions really interleave, and on PostgreSQL
the change counter row decides the commit order) takes small push batches from several
writer devices at once while several pullers page through the feed with limits of 1 to 7.
A cursor allocated from a timestamp or a raw sequence would let a puller step past a row
that commits later with a lower number; such a puller would keep a stale note forever.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.client import OutboxClient
from tests.support.live import (
    Link,
    LiveServers,
    live_servers_fixture,  # noqa: F401 - the live_servers fixture
    server_notes,
    visible_notes,
)
from tests.support.server import ServerProcess
from tests.support.transport import GraphQLTransport

NOTES_PER_WRITER = 5


@dataclass(frozen=True)
class WriterPlan:
    ops: list[tuple[int, str]]  # (note number, "write" | "delete"), in the order taken
    batch_size: int
    pauses_ms: list[int]


@dataclass(frozen=True)
class Scenario:
    writers: list[WriterPlan]
    page_limits: list[int]  # one puller per entry


writer_plans = st.builds(
    WriterPlan,
    ops=st.lists(
        st.tuples(st.integers(0, NOTES_PER_WRITER - 1), st.sampled_from(["write"] * 5 + ["delete"])),
        min_size=5, max_size=30,
    ),
    batch_size=st.integers(1, 5),
    pauses_ms=st.lists(st.integers(0, 6), min_size=1, max_size=5),
)
scenarios = st.builds(
    Scenario,
    writers=st.lists(writer_plans, min_size=3, max_size=4),
    page_limits=st.lists(st.integers(1, 7), min_size=2, max_size=4),
)


@dataclass
class Puller:
    """Pages through the feed one request at a time and checks what it sees as it goes."""

    gql: GraphQLTransport
    token: str
    limit: int
    cursor: str | None = None
    replica: dict[str, tuple[int, str]] = field(default_factory=dict)
    seen_version: dict[str, int] = field(default_factory=dict)
    last_change_seq: int = 0
    pages: int = 0
    problems: list[str] = field(default_factory=list)

    async def page(self) -> bool:
        """One pull; True when the puller has caught up (hasMore false)."""
        reply = await self.gql.execute("Pull", {"input": {"cursor": self.cursor, "limit": self.limit}},
                                       self.token)
        assert reply.status == 200 and not reply.body.get("errors"), reply.body
        payload: dict[str, Any] = reply.body["data"]["pull"]
        self.pages += 1
        if payload["resetRequired"]:
            self.problems.append(f"reset required at cursor {self.cursor}")
        assert len(payload["changes"]) <= self.limit
        for change in payload["changes"]:
            if change["entityType"] != "TestNote":
                continue
            key, version, change_seq = change["entityId"], change["version"], int(change["changeSeq"])
            if change_seq <= self.last_change_seq:
                self.problems.append(f"changeSeq went back: {change_seq} after {self.last_change_seq}")
            self.last_change_seq = change_seq
            if version < self.seen_version.get(key, 0):
                self.problems.append(f"{key} went back from v{self.seen_version[key]} to v{version}")
            self.seen_version[key] = version
            if change["op"] == "DELETE":
                self.replica.pop(key, None)
            else:
                self.replica[key] = (version, change["data"]["text"])
        self.cursor = payload["cursor"]
        return not payload["hasMore"]

    async def follow(self, writing: asyncio.Event) -> None:
        while writing.is_set():
            await self.page()
            await asyncio.sleep(0)

    async def catch_up(self) -> None:
        while not await self.page():
            pass


class NoteModel:
    """What the server must hold after a writer's actions, rejections included."""

    def __init__(self) -> None:
        self.notes: dict[str, tuple[int, str, bool]] = {}  # id -> (version, text, deleted)

    def apply(self, note_id: str, op: str, text: str) -> str:
        current = self.notes.get(note_id)
        if current is not None and current[2]:
            return "REJECTED"  # ENTITY_DELETED: delete wins over a later edit
        if op == "delete":
            if current is None:
                return "REJECTED"  # NOT_FOUND
            self.notes[note_id] = (current[0] + 1, current[1], True)
            return "APPLIED"
        self.notes[note_id] = ((current[0] if current else 0) + 1, text, False)
        return "APPLIED"


async def _write(device: OutboxClient, plan: WriterPlan) -> None:
    rounds = 0
    while device.queue:
        report = await device.drain(max_batches=1)
        assert report.stopped_because in ("empty", "max_batches", "not-processed", "http-503"), report
        await asyncio.sleep(plan.pauses_ms[rounds % len(plan.pauses_ms)] / 1000)
        rounds += 1
        assert rounds < 500, "the writer's queue does not drain"


async def _run(server: ServerProcess, database_url: str, scenario: Scenario) -> None:
    link = Link(server)
    try:
        tag = uuid.uuid4().hex[:8]
        model = NoteModel()
        writers: list[tuple[OutboxClient, WriterPlan, list[tuple[str, str]]]] = []
        for w, plan in enumerate(scenario.writers):
            device = await link.device(f"writer-{tag}-{w}@example.jp")
            device.batch_size = plan.batch_size
            expected: list[tuple[str, str]] = []
            for step, (number, op) in enumerate(plan.ops):
                note_id = f"{tag}-w{w}-n{number}"
                text = f"{note_id} step {step}"
                device.enqueue("testNote", {"id": note_id, "delete": True} if op == "delete"
                               else {"id": note_id, "text": text})
                expected.append((device.queue[-1].mutation_id, model.apply(note_id, op, text)))
            writers.append((device, plan, expected))
        pullers = []
        for p, limit in enumerate(scenario.page_limits):
            token, _ = await link.gql.register(f"puller-{tag}-{p}@example.jp")
            pullers.append(Puller(link.gql, token, limit))

        writing = asyncio.Event()
        writing.set()
        following = [asyncio.create_task(p.follow(writing)) for p in pullers]
        try:
            await asyncio.gather(*(_write(device, plan) for device, plan, _ in writers))
        finally:
            writing.clear()
            await asyncio.gather(*following)
        for puller in pullers:
            await puller.catch_up()

        # Each writer's actions were answered as the model says, once each.
        for device, _, expected in writers:
            assert [(m, device.results[m]["status"]) for m, _ in expected] == expected
        # The server holds exactly what the model says for this example's notes.
        held = {i: (n.version, n.text, n.deleted) for i, n in server_notes(database_url).items()
                if i.startswith(tag)}
        assert held == model.notes
        # No puller missed a change: each ends equal to the server, having never gone back.
        final = visible_notes(database_url)
        for puller in pullers:
            assert puller.problems == []
            assert puller.replica == final
    finally:
        await link.aclose()


@pytest.fixture
def busy_server(db_url: str, live_servers: LiveServers) -> ServerProcess:
    return live_servers.start(db_url, workers=2)


@settings(max_examples=5, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios)
def test_pullers_with_small_pages_never_miss_a_concurrent_change(
    busy_server: ServerProcess, db_url: str, scenario: Scenario
) -> None:
    asyncio.run(_run(busy_server, db_url, scenario))
