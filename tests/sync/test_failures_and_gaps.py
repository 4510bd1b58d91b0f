"""SYNC.md cases 4 and 5: a bad action never blocks the queue; a transient failure or a seq
gap leaves the rest queued, and nothing after it is applied out of order."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Api
from tests.support import db_state


def _push(reply: Any) -> dict[str, Any]:
    assert reply.status == 200 and not reply.body.get("errors"), (reply.status, reply.body)
    payload: dict[str, Any] = reply.body["data"]["push"]
    return payload


def _new_note(text: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "text": text}


async def test_a_poison_action_at_the_head_of_a_500_action_queue_blocks_none_of_the_other_499(
    api: Api,
) -> None:
    device = await api.device("week@example.jp", "一週間")
    device.enqueue("testBoom", {"note": "poison"})
    notes = [_new_note(f"避難所メモ {i}") for i in range(499)]
    for note in notes:
        device.enqueue("testNote", note)

    report = await device.drain()

    assert (report.sent_batches, report.stopped_because) == (5, "empty")
    assert [(a["action"], a["code"]) for a in device.needs_attention] == [
        ("testBoom", "INTERNAL_ERROR")
    ]
    rows = await db_state.notes(api.parts.db)
    assert sorted(rows) == sorted(n["id"] for n in notes)
    assert {row.version for row in rows.values()} == {1}
    log = await db_state.mutation_log(api.parts.db, device.client_id)
    assert [m.seq for m in log] == list(range(1, 501))
    assert [m.status for m in log].count("APPLIED") == 499 and log[0].status == "REJECTED"
    client = await db_state.sync_client(api.parts.db, device.client_id)
    assert client is not None and client.last_seq == 500


async def test_a_transient_failure_mid_batch_leaves_it_and_the_rest_queued_for_a_retry(
    api: Api, flaky: dict[str, int]
) -> None:
    device = await api.device("retry@example.jp")
    before, after = _new_note("before"), _new_note("after")
    device.enqueue("testNote", before)
    device.enqueue("testFlaky", {"note": "lock timeout"})
    device.enqueue("testNote", after)
    flaky["remaining"] = 1

    reply = await device.send(device.queue)

    payload = _push(reply)
    assert [(r["seq"], r["status"], r["code"]) for r in payload["results"]] == [
        (1, "APPLIED", None),
        (2, "NOT_PROCESSED", "TRANSIENT"),
        (3, "NOT_PROCESSED", "TRANSIENT"),
    ]
    assert (payload["lastProcessedSeq"], payload["retryAfterMs"]) == (1, 250)
    assert device.absorb(reply) == "not-processed"
    assert [q.seq for q in device.queue] == [2, 3]
    assert await db_state.note(api.parts.db, after["id"]) is None
    assert [m.seq for m in await db_state.mutation_log(api.parts.db, device.client_id)] == [1]

    report = await device.drain()

    assert report.stopped_because == "empty"
    assert [device.results[q.mutation_id]["status"] for q in device.sent] == ["APPLIED"] * 3
    assert (await db_state.note(api.parts.db, after["id"])).version == 1
    log = await db_state.mutation_log(api.parts.db, device.client_id)
    assert [(m.seq, m.status) for m in log] == [(1, "APPLIED"), (2, "APPLIED"), (3, "APPLIED")]


async def test_a_seq_gap_leaves_it_and_the_rest_unprocessed_until_the_gap_is_filled(
    api: Api,
) -> None:
    device = await api.device("gap@example.jp")
    notes = [_new_note(f"n{i}") for i in range(1, 6)]
    for note in notes:
        device.enqueue("testNote", note)
    one, two, three, four, five = device.queue

    reply = await device.send([one, two, four, five])

    payload = _push(reply)
    assert [(r["seq"], r["status"], r["code"]) for r in payload["results"]] == [
        (1, "APPLIED", None),
        (2, "APPLIED", None),
        (4, "NOT_PROCESSED", "SEQ_GAP"),
        (5, "NOT_PROCESSED", "SEQ_GAP"),
    ]
    assert payload["lastProcessedSeq"] == 2
    assert sorted(await db_state.notes(api.parts.db)) == sorted(n["id"] for n in notes[:2])
    assert [m.seq for m in await db_state.mutation_log(api.parts.db, device.client_id)] == [1, 2]

    device.absorb(reply)
    report = await device.drain()

    assert report.stopped_because == "empty"
    assert [device.results[q.mutation_id]["status"] for q in (three, four, five)] == ["APPLIED"] * 3
    assert sorted(await db_state.notes(api.parts.db)) == sorted(n["id"] for n in notes)
    assert [m.seq for m in await db_state.mutation_log(api.parts.db, device.client_id)] == [
        1,
        2,
        3,
        4,
        5,
    ]


async def test_an_unexpected_server_error_rejects_only_that_action_and_reveals_no_internals(
    api: Api,
) -> None:
    device = await api.device("boom@example.jp")
    before, after = _new_note("before"), _new_note("after")
    device.enqueue("testNote", before)
    boom = device.enqueue("testBoom", {"note": "x"})
    device.enqueue("testNote", after)

    reply = await device.send(device.queue)

    payload = _push(reply)
    assert [(r["status"], r["code"]) for r in payload["results"]] == [
        ("APPLIED", None),
        ("REJECTED", "INTERNAL_ERROR"),
        ("APPLIED", None),
    ]
    assert payload["lastProcessedSeq"] == 3
    message = payload["results"][1]["message"]
    assert message and "secret" not in message and "RuntimeError" not in message
    assert "secret" not in str(reply.body)
    stored = await db_state.logged_mutation(api.parts.db, boom)
    assert stored is not None and (stored.status, stored.code) == ("REJECTED", "INTERNAL_ERROR")
    assert "secret" not in (stored.message or "")
    assert (await db_state.note(api.parts.db, after["id"])).version == 1
