"""SYNC.md case 14: an action queued by an older app is upgraded and applied after a server
upgrade; an argsVersion the server does not know is rejected and its seq consumed."""

from __future__ import annotations

import uuid

from tests.conftest import Api
from tests.support import db_state


async def test_a_queued_action_in_an_older_args_version_is_upgraded_and_applied(api: Api) -> None:
    device = await api.device("old-phone@example.jp")
    note_id = str(uuid.uuid4())
    mutation_id = device.enqueue(
        "testNote", {"id": note_id, "text": "古いアプリから"}, args_version=1
    )

    await device.drain()

    result = device.results[mutation_id]
    assert (result["status"], result["entityId"], result["version"]) == ("APPLIED", note_id, 1)
    row = await db_state.note(api.parts.db, note_id)
    assert (row.text, row.tag) == ("古いアプリから", "v1")  # the upgrader's default for version 1
    stored = await db_state.logged_mutation(api.parts.db, mutation_id)
    assert stored is not None and stored.args_version == 1
    await device.pull_all()
    assert device.replica[("TestNote", note_id)]["data"]["tag"] == "v1"


async def test_an_args_version_the_server_does_not_support_is_rejected_and_its_seq_consumed(
    api: Api,
) -> None:
    device = await api.device("new-phone@example.jp")
    too_new, too_old, current = (str(uuid.uuid4()) for _ in range(3))
    device.enqueue("testNote", {"id": too_new, "text": "from a newer app"}, args_version=3)
    device.enqueue("testNote", {"id": too_old, "text": "no such version"}, args_version=0)
    device.enqueue(
        "updateProfile", {"displayName": "新しい名前"}, args_version=2
    )  # has no upgrader
    device.enqueue("testNote", {"id": current, "text": "current"}, args_version=2)

    reply = await device.send(device.queue)

    payload = reply.body["data"]["push"]
    assert [(r["status"], r["code"]) for r in payload["results"]] == [
        ("REJECTED", "VERSION_NOT_SUPPORTED")
    ] * 3 + [("APPLIED", None)]
    assert payload["lastProcessedSeq"] == 4
    assert await db_state.note(api.parts.db, too_new) is None
    assert await db_state.note(api.parts.db, too_old) is None
    assert (await db_state.note(api.parts.db, current)).version == 1
    profile = await db_state.user(api.parts.db, device.user_id)
    assert (profile.display_name, profile.version) == ("住民", 1)
    log = await db_state.mutation_log(api.parts.db, device.client_id)
    assert [(m.seq, m.args_version, m.code) for m in log] == [
        (1, 3, "VERSION_NOT_SUPPORTED"),
        (2, 0, "VERSION_NOT_SUPPORTED"),
        (3, 2, "VERSION_NOT_SUPPORTED"),
        (4, 2, None),
    ]
    device.absorb(reply)
    assert device.queue == [] and len(device.needs_attention) == 3
