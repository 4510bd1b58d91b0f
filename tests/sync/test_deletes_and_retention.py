"""SYNC.md case 12: a delete wins over an edit made offline; a cursor older than the purged
tombstones is told to reset, so no device keeps an entity that was deleted meanwhile."""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend.sync.retention import purge_expired
from tests.conftest import Api
from tests.support import db_state
from tests.support.client import OutboxClient
from tests.support.clocks import ServerClock

PASSWORD = "correct horse 1"


async def _second_device(api: Api, email: str) -> OutboxClient:
    data = await api.gql.data("Login", {"input": {"email": email, "password": PASSWORD}})
    return OutboxClient(api.gql, data["login"]["token"], data["login"]["user"]["id"])


async def test_a_delete_wins_over_an_edit_made_offline_on_another_device(api: Api) -> None:
    phone = await api.device("mei@example.jp", "芽衣")
    tablet = await _second_device(api, "mei@example.jp")
    note_id = str(uuid.uuid4())
    phone.enqueue("testNote", {"id": note_id, "text": "買い物リスト"})
    await phone.drain()
    await tablet.pull_all()
    assert tablet.replica[("TestNote", note_id)]["version"] == 1

    tablet.enqueue("testNote", {"id": note_id, "text": "edited offline"})  # the tablet is offline
    after = str(uuid.uuid4())
    tablet.enqueue("testNote", {"id": after, "text": "queued behind the edit"})
    phone.enqueue("testNote", {"id": note_id, "delete": True})
    await phone.drain()
    report = await tablet.drain()  # back online

    assert report.stopped_because == "empty"
    assert [(a["status"], a["code"]) for a in tablet.needs_attention] == [
        ("REJECTED", "ENTITY_DELETED")
    ]
    row = await db_state.note(api.parts.db, note_id)
    assert (row.deleted, row.text, row.version) == (True, "買い物リスト", 2)
    assert (await db_state.note(api.parts.db, after)).version == 1, "the rejection blocked nothing"
    await tablet.pull_all()
    await phone.pull_all()
    for device in (tablet, phone):
        assert ("TestNote", note_id) not in device.replica
        assert ("TestNote", after) in device.replica
    [tombstone] = await db_state.feed_rows(api.parts.db, "TestNote", note_id)
    assert (tombstone.op, tombstone.version, tombstone.data) == ("DELETE", 2, None)


async def test_a_cursor_older_than_purged_tombstones_must_reset_and_the_replica_is_rebuilt(
    api: Api, server_clock: ServerClock
) -> None:
    device = await api.device("ren@example.jp", "蓮")
    keep, gone = str(uuid.uuid4()), str(uuid.uuid4())
    device.enqueue("testNote", {"id": keep, "text": "残す"})
    device.enqueue("testNote", {"id": gone, "text": "消す"})
    await device.drain()
    await device.pull_all()
    # A second device of the same user pulled up to here, then stayed offline.
    stale = await _second_device(api, "ren@example.jp")
    stale.cursor, stale.replica = device.cursor, dict(device.replica)
    old_cursor = device.cursor
    device.enqueue("testNote", {"id": gone, "delete": True})
    await device.drain()
    await device.pull_all()
    fresh_cursor = device.cursor

    server_clock.advance(timedelta(seconds=1))
    async with api.parts.db.unit_of_work() as uow:
        purged = await purge_expired(uow.session, retention=timedelta(0))
        await uow.commit()
    assert purged == 1 and await db_state.feed_rows(api.parts.db, "TestNote", gone) == []

    old = (
        await api.gql.data("Pull", {"input": {"cursor": old_cursor, "limit": 100}}, stale.token)
    )["pull"]
    new = (
        await api.gql.data("Pull", {"input": {"cursor": fresh_cursor, "limit": 100}}, device.token)
    )["pull"]

    assert (old["resetRequired"], old["changes"]) == (True, [])
    assert (new["resetRequired"], new["changes"], new["hasMore"]) == (False, [], False)
    await stale.pull_all()
    assert ("TestNote", gone) not in stale.replica
    assert stale.replica[("TestNote", keep)]["data"]["text"] == "残す"
    assert stale.replica == device.replica
