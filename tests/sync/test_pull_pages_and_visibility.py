"""SYNC.md "Pull": small pages deliver every visible change exactly once, in changeSeq order,
with a working hasMore and cursor; and a user never pulls what they may not see."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from tests.conftest import Api
from tests.support import db_state


async def _pages(
    api: Api, token: str | None, *, limit: int, cursor: str | None = None
) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    while True:
        page = (await api.gql.data("Pull", {"input": {"cursor": cursor, "limit": limit}}, token))[
            "pull"
        ]
        assert page["resetRequired"] is False
        pages.append(page)
        cursor = page["cursor"]
        if not page["hasMore"]:
            return pages
        assert len(pages) < 1000, "hasMore never ended"


@pytest.mark.parametrize("limit", [4, 5])
async def test_small_pages_deliver_every_change_exactly_once_in_order(api: Api, limit: int) -> None:
    device = await api.device("pages@example.jp", "頁")
    note_ids = [str(uuid.uuid4()) for _ in range(23)]
    for i, note_id in enumerate(note_ids):
        device.enqueue("testNote", {"id": note_id, "text": f"n{i}"})
    device.enqueue("updateProfile", {"displayName": "頁 太郎"})
    await device.drain()
    everything = (
        await api.gql.data("Pull", {"input": {"cursor": None, "limit": 500}}, device.token)
    )["pull"]
    expected = {(c["entityType"], c["entityId"]) for c in everything["changes"]}
    assert {("TestNote", n) for n in note_ids} | {("Profile", device.user_id)} <= expected

    pages = await _pages(api, device.token, limit=limit)

    changes = [c for page in pages for c in page["changes"]]
    keys = [(c["entityType"], c["entityId"]) for c in changes]
    assert len(keys) == len(set(keys)) == len(expected) and set(keys) == expected
    seqs = [int(c["changeSeq"]) for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert len(pages) == math.ceil(len(expected) / limit)
    assert [p["hasMore"] for p in pages] == [True] * (len(pages) - 1) + [False]
    assert all(len(p["changes"]) == limit for p in pages[:-1])
    again = (
        await api.gql.data(
            "Pull", {"input": {"cursor": pages[-1]["cursor"], "limit": limit}}, device.token
        )
    )["pull"]
    assert (again["changes"], again["hasMore"], again["cursor"]) == ([], False, pages[-1]["cursor"])


async def test_changes_written_between_pages_are_not_missed(api: Api) -> None:
    writer = await api.device("writer@example.jp", "書き手")
    reader = await api.device("reader@example.jp", "読み手")
    note_ids = [str(uuid.uuid4()) for _ in range(10)]
    for i, note_id in enumerate(note_ids):
        writer.enqueue("testNote", {"id": note_id, "text": f"n{i}"})
    await writer.drain()
    await reader.pull_all(limit=3, max_pages=1)
    first_seen = {k for k in reader.replica if k[0] == "TestNote"}
    assert first_seen

    edited = next(iter(first_seen))[1]  # already pulled: its new version must come again
    writer.enqueue("testNote", {"id": edited, "text": "edited between pages"})
    added = str(uuid.uuid4())
    writer.enqueue("testNote", {"id": added, "text": "added between pages"})
    await writer.drain()
    await reader.pull_all(limit=3)

    rows = await db_state.notes(api.parts.db)
    pulled = {k[1]: v for k, v in reader.replica.items() if k[0] == "TestNote"}
    assert {i: v["version"] for i, v in pulled.items()} == {
        i: row.version for i, row in rows.items()
    }
    assert (
        pulled[edited]["data"]["text"] == "edited between pages" and pulled[edited]["version"] == 2
    )
    assert pulled[added]["data"]["text"] == "added between pages"


async def test_a_user_never_pulls_another_users_profile(api: Api) -> None:
    ai = await api.device("ai@example.jp", "愛")
    ken = await api.device("ken@example.jp", "健")
    ai.enqueue("updateProfile", {"displayName": "愛 (要支援)", "languages": ["ja", "vi"]})
    ken.enqueue("updateProfile", {"displayName": "健 (消防団)"})
    ken.enqueue("testNote", {"id": str(uuid.uuid4()), "text": "ward-wide note by 健"})
    await ai.drain()
    await ken.drain()

    await ai.pull_all(limit=2)
    await ken.pull_all(limit=2)

    assert [k for k in ai.replica if k[0] == "Profile"] == [("Profile", ai.user_id)]
    assert [k for k in ken.replica if k[0] == "Profile"] == [("Profile", ken.user_id)]
    assert "健 (消防団)" not in str(ai.replica)
    assert "愛 (要支援)" not in str(ken.replica)
    assert any(k[0] == "TestNote" for k in ai.replica), (
        "ward-visible things do reach the other user"
    )
