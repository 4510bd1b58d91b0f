"""SYNC.md case 10: an expired or revoked token is HTTP 401 and the queue waits, intact, for the
same user to sign in again; another user never sends it; a clientId is bound to its user (403)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.conftest import Api
from tests.support import db_state
from tests.support.client import OutboxClient
from tests.support.clocks import ServerClock

PASSWORD = "correct horse 1"  # what tests/support/transport.py registers with


async def _sign_in(api: Api, email: str) -> tuple[str, str]:
    data = await api.gql.data("Login", {"input": {"email": email, "password": PASSWORD}})
    assert data["login"]["__typename"] == "AuthSuccess", data
    return data["login"]["token"], data["login"]["user"]["id"]


async def _sign_out(api: Api, token: str) -> None:
    data = await api.gql.data("Logout", {}, token)
    assert data["logout"]["ok"] is True


async def test_an_expired_token_gets_401_and_the_queue_waits_for_the_same_user_to_sign_in(
    api: Api, server_clock: ServerClock
) -> None:
    device = await api.device("yuki@example.jp", "雪")
    device.enqueue("updateProfile", {"displayName": "雪 (避難中)"})
    server_clock.advance(timedelta(days=31))  # a month offline: the 30-day token has lapsed

    reply = await device.send(device.queue)
    report = await device.drain()

    assert reply.status == 401
    assert reply.body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert report.stopped_because == "unauthenticated" and device.paused
    assert [q.action for q in device.queue] == ["updateProfile"]
    again = await device.drain()
    assert (again.sent_batches, again.stopped_because, len(device.queue)) == (0, "paused", 1)
    assert (await db_state.user(api.parts.db, device.user_id)).display_name == "雪"
    assert await db_state.sync_client(api.parts.db, device.client_id) is None

    assert device.sign_in(*await _sign_in(api, "yuki@example.jp"))
    report = await device.drain()

    assert report.stopped_because == "empty" and not device.paused
    assert [r["status"] for r in device.results.values()] == ["APPLIED"]
    profile = await db_state.user(api.parts.db, device.user_id)
    assert (profile.display_name, profile.version) == ("雪 (避難中)", 2)


async def test_a_token_revoked_by_signing_out_gets_401_for_push_and_pull_and_drops_nothing(
    api: Api,
) -> None:
    device = await api.device("sora@example.jp", "空")
    note_id = str(uuid.uuid4())
    device.enqueue("testNote", {"id": note_id, "text": "signed out with this queued"})
    revoked = device.token
    assert revoked is not None
    await _sign_out(api, revoked)

    push = await device.send(device.queue)
    pull = await api.gql.execute("Pull", {"input": {"cursor": None, "limit": 10}}, revoked)
    report = await device.drain()

    assert (push.status, pull.status) == (401, 401)
    assert report.stopped_because == "unauthenticated" and len(device.queue) == 1
    assert await db_state.note(api.parts.db, note_id) is None

    assert device.sign_in(*await _sign_in(api, "sora@example.jp"))
    await device.drain()

    assert (
        device.queue == []
        and (await db_state.note(api.parts.db, note_id)).owner_id == device.user_id
    )


async def test_another_user_signing_in_on_the_device_never_sends_the_first_users_queue(
    api: Api,
) -> None:
    phone = await api.device("aki@example.jp", "秋")
    note_id = str(uuid.uuid4())
    phone.enqueue("updateProfile", {"displayName": "秋 (自宅)"})
    phone.enqueue("testNote", {"id": note_id, "text": "秋のメモ"})
    assert phone.token is not None
    await _sign_out(api, phone.token)
    await phone.drain()
    assert phone.paused

    token_b, user_b = await api.user("fuyu@example.jp", "冬")
    assert phone.sign_in(token_b, user_b) is False
    report = await phone.drain()

    assert (report.sent_batches, report.stopped_because) == (0, "paused")
    assert phone.token != token_b and len(phone.queue) == 2
    assert await db_state.sync_client(api.parts.db, phone.client_id) is None
    assert (await db_state.user(api.parts.db, user_b)).display_name == "冬"
    assert await db_state.note(api.parts.db, note_id) is None

    # The second user's own actions go through an outbox of their own.
    theirs = OutboxClient(api.gql, token_b, user_b)
    theirs.enqueue("updateProfile", {"displayName": "冬 (避難所)"})
    await theirs.drain()
    # The first user comes back: their queue goes to their account, not the other one's.
    assert phone.sign_in(*await _sign_in(api, "aki@example.jp"))
    await phone.drain()

    assert phone.queue == []
    assert (await db_state.user(api.parts.db, phone.user_id)).display_name == "秋 (自宅)"
    assert (await db_state.note(api.parts.db, note_id)).owner_id == phone.user_id
    profile_b = await db_state.user(api.parts.db, user_b)
    assert (profile_b.display_name, profile_b.version) == ("冬 (避難所)", 2)


async def test_a_client_id_bound_to_another_user_is_refused_with_403_and_applies_nothing(
    api: Api,
) -> None:
    owner = await api.device("haru@example.jp", "春")
    owner.enqueue("updateProfile", {"displayName": "春 (本人)"})
    await owner.drain()
    token_b, user_b = await api.user("natsu@example.jp", "夏")
    intruder = OutboxClient(api.gql, token_b, user_b, client_id=owner.client_id, next_seq=2)
    intruder.enqueue("updateProfile", {"displayName": "乗っ取り"})

    reply = await intruder.send(intruder.queue)
    report = await intruder.drain()

    assert reply.status == 403
    assert reply.body["errors"][0]["extensions"]["code"] == "CLIENT_OWNED_BY_ANOTHER_USER"
    assert report.stopped_because == "http-403" and len(intruder.queue) == 1
    client = await db_state.sync_client(api.parts.db, owner.client_id)
    assert client is not None and (client.user_id, client.last_seq) == (owner.user_id, 1)
    assert len(await db_state.mutation_log(api.parts.db, owner.client_id)) == 1
    assert (await db_state.user(api.parts.db, user_b)).display_name == "夏"
    assert (await db_state.user(api.parts.db, owner.user_id)).display_name == "春 (本人)"
