"""SYNC.md cases 1 and 3: resent batches, two tabs at once and reused mutationIds.

Whatever reaches the server twice is applied once, and the second answer repeats the first.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.support import db_state
from tests.support.faults import LostReplies, arriving_together


def _push(reply: Any) -> dict[str, Any]:
    assert reply.status == 200 and not reply.body.get("errors"), (reply.status, reply.body)
    payload: dict[str, Any] = reply.body["data"]["push"]
    return payload


def _new_note(text: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "text": text}


async def test_a_batch_whose_reply_was_lost_is_applied_once_when_resent(api: Api) -> None:
    device = await api.device("kenji@example.jp", "健二")
    device.transport = LostReplies(api.http, pushes=1)
    notes = [_new_note(f"給水所 {i}") for i in range(3)]
    for note in notes:
        device.enqueue("testNote", note)
    device.enqueue("updateProfile", {"displayName": "佐藤 健二"})

    with pytest.raises(httpx.ReadError):
        await device.drain()
    assert len(device.queue) == 4, "an unanswered batch stays queued"
    first = await db_state.mutation_log(api.parts.db, device.client_id)
    assert [m.status for m in first] == ["APPLIED"] * 4, "the server had committed it"

    report = await device.drain()

    assert report.stopped_because == "empty"
    for item, stored in zip(device.sent, first, strict=True):
        result = device.results[item.mutation_id]
        assert result["status"] == "DUPLICATE"
        assert (result["entityId"], result["version"], result["changeSeq"]) == (
            stored.entity_id,
            stored.version,
            str(stored.change_seq),
        )
    assert len(await db_state.mutation_log(api.parts.db, device.client_id)) == 4
    rows = await db_state.notes(api.parts.db)
    assert {n["id"]: rows[n["id"]].version for n in notes} == {n["id"]: 1 for n in notes}
    profile = await db_state.user(api.parts.db, device.user_id)
    assert (profile.display_name, profile.version) == ("佐藤 健二", 2)
    client = await db_state.sync_client(api.parts.db, device.client_id)
    assert client is not None and client.last_seq == 4


async def test_resending_a_partly_committed_batch_applies_only_the_uncommitted_rest(
    api: Api, flaky: dict[str, int]
) -> None:
    device = await api.device("michiko@example.jp", "美智子")
    device.transport = LostReplies(api.http, pushes=1)
    a, b, c = _new_note("a"), _new_note("b"), _new_note("c")
    device.enqueue("testNote", a)
    device.enqueue("testNote", b)
    device.enqueue("testFlaky", {"note": "lock timeout here"})
    device.enqueue("testNote", c)
    flaky["remaining"] = 1

    with pytest.raises(httpx.ReadError):
        await device.drain()
    committed = await db_state.mutation_log(api.parts.db, device.client_id)
    assert [(m.seq, m.status) for m in committed] == [(1, "APPLIED"), (2, "APPLIED")]
    assert await db_state.note(api.parts.db, c["id"]) is None

    await device.drain()

    statuses = [device.results[item.mutation_id]["status"] for item in device.sent]
    assert statuses == ["DUPLICATE", "DUPLICATE", "APPLIED", "APPLIED"]
    rows = await db_state.notes(api.parts.db)
    assert {rows[n["id"]].version for n in (a, b, c)} == {1}
    assert [m.seq for m in await db_state.mutation_log(api.parts.db, device.client_id)] == [
        1,
        2,
        3,
        4,
    ]
    client = await db_state.sync_client(api.parts.db, device.client_id)
    assert client is not None and client.last_seq == 4


async def test_the_same_batch_sent_from_two_tabs_at_once_applies_each_action_once(api: Api) -> None:
    device = await api.device("tab@example.jp", "タブ")
    notes = [_new_note(f"note {i}") for i in range(5)]
    for note in notes:
        device.enqueue("testNote", note)
    device.enqueue("updateProfile", {"displayName": "二つのタブ"})
    batch = list(device.queue)
    ids = [item.mutation_id for item in batch]

    with arriving_together(api.parts.domains["sync"].pusher, 2) as events:
        replies = await asyncio.gather(device.send(batch), device.send(batch))

    assert events[:2] == ["enter", "enter"], "both batches were inside the engine at once"

    first, second = (_push(r) for r in replies)
    outcomes = sorted(tuple(r["status"] for r in p["results"]) for p in (first, second))
    assert outcomes == [("APPLIED",) * 6, ("DUPLICATE",) * 6]
    for one, other in zip(first["results"], second["results"], strict=True):
        assert (one["mutationId"], one["version"], one["changeSeq"]) == (
            other["mutationId"],
            other["version"],
            other["changeSeq"],
        )
    assert first["lastProcessedSeq"] == second["lastProcessedSeq"] == 6
    assert await db_state.count_logged(api.parts.db, ids) == 6
    rows = await db_state.notes(api.parts.db)
    assert sorted(rows) == sorted(n["id"] for n in notes)
    assert {row.version for row in rows.values()} == {1}
    profile = await db_state.user(api.parts.db, device.user_id)
    assert (profile.display_name, profile.version) == ("二つのタブ", 2)


async def test_two_tabs_sending_a_batch_with_failing_actions_at_once_agree_on_every_result(
    api: Api,
) -> None:
    device = await api.device("tabs-boom@example.jp")
    good = [_new_note(f"good {i}") for i in range(4)]
    device.enqueue("testNote", good[0])
    device.enqueue("testBoom", {"note": "unexpected"})
    device.enqueue("testNote", good[1])
    device.enqueue("updateProfile", {"displayName": ""})  # VALIDATION
    device.enqueue("testNote", good[2])
    device.enqueue("testNote", good[3])
    batch = list(device.queue)

    with arriving_together(api.parts.domains["sync"].pusher, 2):
        replies = await asyncio.gather(device.send(batch), device.send(batch))

    first, second = sorted((_push(r) for r in replies), key=lambda p: p["results"][0]["status"])
    assert [(r["status"], r["code"]) for r in first["results"]] == [
        ("APPLIED", None),
        ("REJECTED", "INTERNAL_ERROR"),
        ("APPLIED", None),
        ("REJECTED", "VALIDATION"),
        ("APPLIED", None),
        ("APPLIED", None),
    ]
    assert [(r["status"], r["code"]) for r in second["results"]] == [
        ("DUPLICATE", r["code"]) for r in first["results"]
    ]
    for one, other in zip(first["results"], second["results"], strict=True):
        assert (one["version"], one["changeSeq"]) == (other["version"], other["changeSeq"])
    log = await db_state.mutation_log(api.parts.db, device.client_id)
    assert [m.status for m in log] == [
        "APPLIED",
        "REJECTED",
        "APPLIED",
        "REJECTED",
        "APPLIED",
        "APPLIED",
    ]
    rows = await db_state.notes(api.parts.db)
    assert sorted(rows) == sorted(n["id"] for n in good) and {r.version for r in rows.values()} == {
        1
    }
    assert (await db_state.user(api.parts.db, device.user_id)).version == 1


async def test_a_mutation_id_reused_with_other_args_is_rejected_and_changes_nothing(
    api: Api,
) -> None:
    device = await api.device("reuse@example.jp")
    note = _new_note("first words")
    reused = device.enqueue("testNote", note)
    await device.drain()
    device.enqueue("testNote", {"id": note["id"], "text": "other words"}, mutation_id=reused)
    after = _new_note("the queue goes on")
    device.enqueue("testNote", after)

    payload = _push(await device.send(device.queue))

    rejected, applied = payload["results"]
    assert (rejected["mutationId"], rejected["status"], rejected["code"]) == (
        reused,
        "REJECTED",
        "IDEMPOTENCY_KEY_REUSE",
    )
    assert applied["status"] == "APPLIED"
    assert payload["lastProcessedSeq"] == 3, "the rejected seq is consumed"
    row = await db_state.note(api.parts.db, note["id"])
    assert (row.text, row.version) == ("first words", 1)
    stored = await db_state.logged_mutation(api.parts.db, reused)
    assert stored is not None and (stored.seq, stored.status) == (1, "APPLIED")
    assert stored.args["testNote"]["text"] == "first words"
    assert (await db_state.note(api.parts.db, after["id"])).version == 1


async def test_the_same_action_twice_in_one_batch_is_applied_once_and_answered_alike(
    api: Api,
) -> None:
    device = await api.device("twice@example.jp")
    note = _new_note("once")
    device.enqueue("testNote", note)
    [item] = device.queue
    twin = {**item.envelope(), "seq": 2}

    reply = await device.transport.execute(
        "Push",
        {"input": {**device.batch_body([item]), "mutations": [item.envelope(), twin]}},
        device.token,
    )

    first, again = _push(reply)["results"]
    assert (first["status"], again["status"]) == ("APPLIED", "DUPLICATE")
    assert (again["entityId"], again["version"], again["changeSeq"]) == (
        first["entityId"],
        first["version"],
        first["changeSeq"],
    )
    assert (await db_state.note(api.parts.db, note["id"])).version == 1
    assert len(await db_state.mutation_log(api.parts.db, device.client_id)) == 1
