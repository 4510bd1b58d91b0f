"""SYNC.md hard case 9: 10,000 actions queued over a week offline, the server kill -9'ed halfway.

The device queued its actions over the past seven days (its clock is data: each action
carries the time it was taken). It comes back online and drains; about halfway the server
process group is SIGKILLed while a batch is in flight, then restarted on the same database.
The client keeps draining: every action is applied exactly once, and its replica ends equal
to the server's state.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.live import (
    CONNECTION_LOST,
    Link,
    LiveServers,
    live_servers_fixture,  # noqa: F401 - the live_servers fixture
    replica_notes,
    server_last_seq,
    server_mutations,
    server_notes,
    server_profile,
    visible_notes,
)

ACTIONS = 10_000
NOTES = 200
HALF = ACTIONS // 2
WEEK = timedelta(days=7)


class DeviceClock:
    """The device's clock, set by the test: a week of offline queueing, then back online."""

    def __init__(self, at: datetime) -> None:
        self.at: datetime | None = at

    def __call__(self) -> datetime:
        return self.at if self.at is not None else datetime.now(UTC)


@pytest.mark.slow
async def test_ten_thousand_actions_queued_for_a_week_are_applied_once_across_a_kill_9(
    db_url: str, live_servers: LiveServers
) -> None:
    server = live_servers.start(db_url)
    link = Link(server)
    try:
        went_offline = datetime.now(UTC) - WEEK
        clock = DeviceClock(went_offline)
        device = await link.device("ken@example.jp", "健", clock=clock)

        # A week of actions: notes created then edited many times, and profile changes.
        rng = random.Random(9)
        expected_text: dict[str, str] = {}
        edits: Counter[str] = Counter()
        taken_at: dict[str, datetime] = {}
        names: list[str] = []
        for n in range(ACTIONS):
            clock.at = went_offline + WEEK * n / ACTIONS
            if n % 20 == 7:
                names.append(f"健 {n}")
                device.enqueue("updateProfile", {"displayName": names[-1]})
                continue
            note = f"week-note-{rng.randrange(NOTES):03d}"
            expected_text[note] = f"{note} 第{edits[note] + 1}版 ({n})"
            edits[note] += 1
            taken_at[note] = clock.at
            device.enqueue("testNote", {"id": note, "text": expected_text[note]})
        all_ids = [q.mutation_id for q in device.queue]
        clock.at = None  # back online: the device clock is right again

        # The first half, acknowledged batch by batch.
        started = time.monotonic()
        report = await device.drain(max_batches=HALF // device.batch_size)
        per_batch = (time.monotonic() - started) / report.sent_batches
        assert report.stopped_because == "max_batches"
        assert len(device.sent) == HALF and server_last_seq(db_url, device.client_id) == HALF

        # kill -9 while the next batch is being applied (or just before/after: all are fine).
        in_flight = [q.mutation_id for q in device.queue[: device.batch_size]]
        sending = asyncio.create_task(device.drain(max_batches=1))
        await asyncio.sleep(per_batch / 2)
        server.kill()
        try:
            await sending
            lost_reply = False
        except CONNECTION_LOST:
            lost_reply = True
        after_kill = server_last_seq(db_url, device.client_id)
        assert after_kill in (HALF, HALF + device.batch_size), "a batch commits whole or not at all"

        server = live_servers.start(db_url)
        await link.point_at(server)
        report = await device.drain()
        assert report.stopped_because == "empty" and not device.queue
        assert device.needs_attention == []

        # Exactly once, by the mutation log: one row per action, seqs 1..10,000 of this device.
        logged = server_mutations(db_url, all_ids)
        assert len(logged) == ACTIONS
        assert {row.client_id for row in logged.values()} == {device.client_id}
        assert sorted(row.seq for row in logged.values()) == list(range(1, ACTIONS + 1))
        assert server_last_seq(db_url, device.client_id) == ACTIONS
        statuses = Counter(device.results[i]["status"] for i in all_ids)
        if lost_reply and after_kill == HALF + device.batch_size:
            # Committed but never answered: the retry is answered from the log.
            assert statuses == {"APPLIED": ACTIONS - device.batch_size, "DUPLICATE": device.batch_size}
            assert {device.results[i]["status"] for i in in_flight} == {"DUPLICATE"}
        else:
            assert statuses == {"APPLIED": ACTIONS}

        # Exactly once, by the data: each note's version is the number of its edits.
        notes = server_notes(db_url)
        assert {i: (n.version, n.text) for i, n in notes.items()} == {
            i: (edits[i], expected_text[i]) for i in edits
        }
        assert server_profile(db_url, device.user_id) == (names[-1], 1 + len(names))
        assert not any(row.clock_flagged for row in logged.values())

        # The replica converges to the server, and the week-old times were kept as data.
        await device.pull_all(limit=500)
        assert replica_notes(device) == visible_notes(db_url)
        assert len(replica_notes(device)) == NOTES
        assert device.replica[("Profile", device.user_id)]["data"]["displayName"] == names[-1]
        for note, entry in device.replica.items():
            if note[0] == "TestNote":
                recorded = datetime.fromisoformat(entry["data"]["clientTime"])
                assert abs(recorded - taken_at[note[1]]) < timedelta(minutes=1)
    finally:
        await link.aclose()
