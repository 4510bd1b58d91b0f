"""Owner edits with optimistic concurrency and field merge, deletes as tombstones, and the
offline create → edit → delete chains of SYNC.md case 12."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from backend.board.models import Post, PostRevision
from tests.board.street import act, applied, create_post, post_args, pulled, rejected, street
from tests.conftest import Api
from tests.support.client import OutboxClient


async def second_device(api: Api, device: OutboxClient, email: str) -> OutboxClient:
    data = await api.gql.data("Login", {"input": {"email": email, "password": "correct horse 1"}})
    return OutboxClient(api.gql, data["login"]["token"], device.user_id)


def enqueue_earlier(device: OutboxClient, action: str, args: dict[str, Any]) -> str:
    """Queue an action on a device whose clock shows ten minutes ago (an edit made offline
    before another), then give the device its right clock back for sending."""
    clock = device.clock
    device.clock = lambda: clock() - timedelta(minutes=10)
    try:
        return device.enqueue(action, args)
    finally:
        device.clock = clock


async def post_row(api: Api, post_id: str) -> Post:
    async with api.parts.db.read_session() as session:
        row = await session.get(Post, post_id)
        assert row is not None
        return row


async def revisions(api: Api, post_id: str, kind: str) -> list[tuple[str, str]]:
    async with api.parts.db.read_session() as session:
        rows = await session.execute(
            sa.select(PostRevision.field, PostRevision.value)
            .where(PostRevision.post_id == post_id, PostRevision.kind == kind).order_by(PostRevision.id)
        )
        return [(r.field, r.value) for r in rows]


async def test_an_edit_of_the_current_version_applies_and_bumps_the_version_by_one(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    neighbour = await s.resident("tom@example.jp")
    post_id = await create_post(author, s.association_id, title="古い題", body="本文")

    result = await act(author, "editPost", {"id": post_id, "baseVersion": 1, "title": "新しい題"})

    assert (result["status"], result["version"]) == ("APPLIED", 2)
    await neighbour.pull_all()
    post = pulled(neighbour, "Post")[post_id]
    assert (post["title"], post["body"], neighbour.replica[("Post", post_id)]["version"]) == ("新しい題", "本文", 2)
    assert post["editedAt"] is not None


async def test_offline_edits_of_different_fields_on_two_devices_merge(api: Api) -> None:
    s = await street(api)
    phone = await s.resident("hanako@example.jp")
    tablet = await second_device(api, phone, "hanako@example.jp")
    post_id = await create_post(phone, s.association_id, title="夏祭り", body="7月20日")
    tablet.enqueue("editPost", {"id": post_id, "baseVersion": 1, "body": "7月27日に延期"})  # offline

    applied(await act(phone, "editPost", {"id": post_id, "baseVersion": 1, "title": "夏祭り（延期）"}))
    await tablet.drain()

    [merged] = tablet.results.values()
    assert (merged["status"], merged["version"]) == ("CONFLICT_RESOLVED", 3)
    row = await post_row(api, post_id)
    assert (row.title, row.body, row.version) == ("夏祭り（延期）", "7月27日に延期", 3)


async def test_the_later_of_two_edits_of_one_field_wins_and_the_other_is_kept_as_a_revision(api: Api) -> None:
    s = await street(api)
    phone = await s.resident("hanako@example.jp")
    tablet = await second_device(api, phone, "hanako@example.jp")
    post_id = await create_post(phone, s.association_id, title="集合場所", body="公園")
    enqueue_earlier(tablet, "editPost", {"id": post_id, "baseVersion": 1, "body": "公民館"})  # made first

    applied(await act(phone, "editPost", {"id": post_id, "baseVersion": 1, "body": "小学校"}))  # made later
    await tablet.drain()

    [lost] = tablet.results.values()
    assert (lost["status"], lost["version"]) == ("CONFLICT_RESOLVED", 2)
    assert "revision" in lost["message"]
    assert (await post_row(api, post_id)).body == "小学校"
    assert await revisions(api, post_id, "LOST") == [("body", "公民館")]

    enqueue_earlier(phone, "editPost", {"id": post_id, "baseVersion": 2, "body": "駅前"})  # made first
    applied(await act(tablet, "editPost", {"id": post_id, "baseVersion": 2, "title": "集合場所（変更）"}))
    late = await act(tablet, "editPost", {"id": post_id, "baseVersion": 2, "body": "体育館"})  # made later
    await phone.drain()

    assert late["status"] == "CONFLICT_RESOLVED"
    row = await post_row(api, post_id)
    assert (row.title, row.body) == ("集合場所（変更）", "体育館")
    assert ("body", "駅前") in await revisions(api, post_id, "LOST")


async def test_only_the_author_edits_or_deletes_a_post(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    neighbour = await s.resident("tom@example.jp")
    post_id = await create_post(author, s.association_id)

    by_neighbour = rejected(await act(neighbour, "editPost", {"id": post_id, "title": "乗っ取り"}))
    by_leader = rejected(await act(s.leader, "deletePost", {"id": post_id}))
    future_base = rejected(await act(author, "editPost", {"id": post_id, "baseVersion": 5, "title": "未来"}))
    nothing = rejected(await act(author, "editPost", {"id": post_id}))

    assert (by_neighbour, by_leader, future_base, nothing) == ("FORBIDDEN", "FORBIDDEN", "VALIDATION", "VALIDATION")
    assert (await post_row(api, post_id)).version == 1


async def test_an_offline_create_edit_delete_chain_applies_in_order_and_leaves_only_a_tombstone(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    neighbour = await s.resident("tom@example.jp")
    args = post_args(s.association_id, title="下書き")
    await neighbour.pull_all()

    author.enqueue("createPost", args)
    author.enqueue("editPost", {"id": args["id"], "baseVersion": 1, "title": "清書"})
    author.enqueue("editPost", {"id": args["id"], "baseVersion": 2, "body": "書き直し"})
    author.enqueue("deletePost", {"id": args["id"]})
    kept = str(uuid.uuid4())
    author.enqueue("createPost", {**post_args(s.association_id, title="残す投稿"), "id": kept})
    await author.drain()

    assert [(r["status"], r["version"]) for r in author.results.values()] == [
        ("APPLIED", 1), ("APPLIED", 2), ("APPLIED", 3), ("APPLIED", 4), ("APPLIED", 1)]
    row = await post_row(api, args["id"])
    assert (row.deleted, row.title, row.body, row.version) == (True, "", "", 4)
    assert await revisions(api, args["id"], "EDIT") == []
    for device in (author, neighbour):
        await device.pull_all()
        assert set(pulled(device, "Post")) == {kept}


async def test_a_delete_wins_over_an_edit_made_offline_and_takes_the_comments_with_it(api: Api) -> None:
    s = await street(api)
    phone = await s.resident("hanako@example.jp")
    tablet = await second_device(api, phone, "hanako@example.jp")
    neighbour = await s.resident("tom@example.jp")
    post_id = await create_post(phone, s.association_id, title="不用品あります")
    comment_id = applied(await act(neighbour, "createComment",
                                   {"id": str(uuid.uuid4()), "postId": post_id, "body": "欲しいです"}))
    await neighbour.pull_all()
    assert comment_id in pulled(neighbour, "Comment")
    tablet.enqueue("editPost", {"id": post_id, "baseVersion": 1, "title": "不用品（残りわずか）"})  # offline
    after = post_args(s.association_id, title="別の投稿")
    tablet.enqueue("createPost", after)

    applied(await act(phone, "deletePost", {"id": post_id}))
    report = await tablet.drain()

    assert report.stopped_because == "empty"
    assert [(a["status"], a["code"]) for a in tablet.needs_attention] == [("REJECTED", "ENTITY_DELETED")]
    assert tablet.results[list(tablet.results)[1]]["status"] == "APPLIED", "the rejection blocked nothing"
    late_comment = rejected(await act(neighbour, "createComment",
                                      {"id": str(uuid.uuid4()), "postId": post_id, "body": "まだありますか"}))
    assert late_comment == "ENTITY_DELETED"
    await neighbour.pull_all()
    assert post_id not in pulled(neighbour, "Post") and comment_id not in pulled(neighbour, "Comment")
    assert after["id"] in pulled(neighbour, "Post")


async def test_the_author_deletes_a_comment_and_members_lose_it(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    neighbour = await s.resident("tom@example.jp")
    post_id = await create_post(author, s.association_id)
    comment_id = applied(await act(neighbour, "createComment",
                                   {"id": str(uuid.uuid4()), "postId": post_id, "body": "いいですね"}))

    by_other = rejected(await act(author, "deleteComment", {"id": comment_id}))
    applied(await act(neighbour, "deleteComment", {"id": comment_id}))

    assert by_other == "FORBIDDEN"
    await author.pull_all()
    assert comment_id not in pulled(author, "Comment")
