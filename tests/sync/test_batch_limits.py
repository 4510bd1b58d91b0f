"""SYNC.md "Push": a batch carries at most 100 actions and 256 KB; more is HTTP 413 with the
limits, nothing of it is applied, and a client that splits its batches delivers everything."""

from __future__ import annotations

import uuid

from tests.conftest import Api
from tests.support import db_state


async def test_a_push_of_more_than_100_actions_is_refused_whole_with_the_limits(api: Api) -> None:
    device = await api.device("big@example.jp")
    for i in range(101):
        device.enqueue("testNote", {"id": str(uuid.uuid4()), "text": f"n{i}"})

    reply = await device.send(device.queue)

    assert reply.status == 413
    [error] = reply.body["errors"]
    assert error["extensions"]["code"] == "BATCH_TOO_LARGE"
    assert (error["extensions"]["maxActions"], error["extensions"]["maxBytes"]) == (100, 256 * 1024)
    assert await db_state.notes(api.parts.db) == {}
    assert await db_state.sync_client(api.parts.db, device.client_id) is None

    report = await device.drain()  # 100, then 1: exactly 100 is accepted

    assert (report.sent_batches, report.stopped_because) == (2, "empty")
    assert len(await db_state.notes(api.parts.db)) == 101


async def test_a_client_sending_oversized_batches_halves_them_after_413_and_delivers_all(
    api: Api,
) -> None:
    device = await api.device("old-app@example.jp")
    device.batch_size = 150  # an app built with a larger batch
    for i in range(120):
        device.enqueue("testNote", {"id": str(uuid.uuid4()), "text": f"n{i}"})

    report = await device.drain()

    assert report.stopped_because == "empty"
    assert (device.batch_size, report.sent_batches) == (75, 3)  # 413, then 75 + 45
    assert len(await db_state.notes(api.parts.db)) == 120
    client = await db_state.sync_client(api.parts.db, device.client_id)
    assert client is not None and client.last_seq == 120


async def test_a_push_over_256_kb_is_refused_whole_with_the_limits(api: Api) -> None:
    device = await api.device("heavy@example.jp")
    for _ in range(60):  # 60 × 4,500 bytes of text: over 256 KB, under the 512 KB body limit
        device.enqueue("testNote", {"id": str(uuid.uuid4()), "text": "x" * 4500})

    reply = await device.send(device.queue)

    assert reply.status == 413
    [error] = reply.body["errors"]
    assert error["extensions"]["code"] == "BATCH_TOO_LARGE"
    assert (error["extensions"]["maxActions"], error["extensions"]["maxBytes"]) == (100, 256 * 1024)
    assert await db_state.sync_client(api.parts.db, device.client_id) is None
