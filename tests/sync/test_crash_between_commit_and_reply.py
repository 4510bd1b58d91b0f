"""SYNC.md hard case 2: the server is killed between commit and reply, restarted, and retried.

`testCrash` makes the real server process `os._exit(137)` right after the batch's
transaction commits and before any reply is written, so the client sees only a broken
connection. Its retry must be answered from the mutation log: nothing applied twice.
"""

from __future__ import annotations

from pathlib import Path

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


async def test_a_batch_committed_just_before_the_server_died_is_applied_once_when_retried(
    db_url: str, live_servers: LiveServers, tmp_path: Path
) -> None:
    first = live_servers.start(db_url)
    link = Link(first)
    try:
        device = await link.device("hanako@example.jp", "花子")
        marker = tmp_path / "crash-once"
        marker.touch()
        device.enqueue("testNote", {"id": "crash-note-1", "text": "水が必要です"})
        device.enqueue("updateProfile", {"displayName": "鈴木 花子"})
        device.enqueue("testCrash", {"marker": str(marker)})
        device.enqueue("testNote", {"id": "crash-note-1", "text": "水は届きました"})
        device.enqueue("updateProfile", {"displayName": ""})  # rejected: its seq is consumed once
        device.enqueue("testNote", {"id": "crash-note-2", "text": "毛布 3 枚"})
        batch = list(device.queue)
        ids = [item.mutation_id for item in batch]

        with pytest.raises(CONNECTION_LOST):
            await device.drain()

        # The process died on its own, after the commit: every action of the batch is in.
        assert first.wait_dead() == 137
        assert not marker.exists()
        assert [q.mutation_id for q in device.queue] == ids, "an unanswered batch stays queued"
        assert device.results == {}
        notes = server_notes(db_url)
        assert (notes["crash-note-1"].version, notes["crash-note-1"].text) == (2, "水は届きました")
        assert notes["crash-note-2"].version == 1
        assert server_profile(db_url, device.user_id) == ("鈴木 花子", 2)
        assert server_last_seq(db_url, device.client_id) == 6
        committed = server_mutations(db_url, ids)

        await link.point_at(live_servers.start(db_url))
        reply = await device.send(batch)
        assert reply.status == 200, reply.body
        payload = reply.body["data"]["push"]
        results = payload["results"]
        assert [r["status"] for r in results] == ["DUPLICATE"] * 6
        assert [r["mutationId"] for r in results] == ids
        # The replies repeat the first results, which the client never received.
        assert [(r["entityId"], r["version"]) for r in results] == [
            ("crash-note-1", 1), (device.user_id, 2), (None, None), ("crash-note-1", 2), (None, None),
            ("crash-note-2", 1),
        ]
        assert results[4]["code"] == "VALIDATION" and committed[ids[4]].status == "REJECTED"
        assert [(r["entityId"], r["version"]) for r in results] == [
            (committed[i].entity_id, committed[i].version) for i in ids
        ]
        assert payload["lastProcessedSeq"] == 6

        # The outbox takes the same answers through its normal drain and moves on.
        assert (await device.drain()).stopped_because == "empty"
        assert {device.results[i]["status"] for i in ids} == {"DUPLICATE"}
        assert [entry["code"] for entry in device.needs_attention] == ["VALIDATION"]
        device.enqueue("testNote", {"id": "crash-note-2", "text": "毛布は足りています"})
        assert (await device.drain()).stopped_because == "empty"
        assert device.results[device.sent[-1].mutation_id]["status"] == "APPLIED"

        notes = server_notes(db_url)
        assert (notes["crash-note-1"].version, notes["crash-note-1"].text) == (2, "水は届きました")
        assert (notes["crash-note-2"].version, notes["crash-note-2"].text) == (2, "毛布は足りています")
        assert server_profile(db_url, device.user_id) == ("鈴木 花子", 2)
        assert server_last_seq(db_url, device.client_id) == 7
        logged = server_mutations(db_url, [q.mutation_id for q in device.sent])
        assert sorted(row.seq for row in logged.values()) == [1, 2, 3, 4, 5, 6, 7]

        await device.pull_all(limit=2)
        assert replica_notes(device) == visible_notes(db_url)
        assert device.replica[("Profile", device.user_id)]["version"] == 2
    finally:
        await link.aclose()
