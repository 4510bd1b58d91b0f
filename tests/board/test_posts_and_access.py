"""Posts on the board: who may post and see what, validation, and text that stays text."""

from __future__ import annotations

import uuid

import pytest

from backend.board import limits
from tests.board.street import (
    act,
    board,
    board_titles,
    create_post,
    new_association,
    post_args,
    pulled,
    rejected,
    street,
)
from tests.conftest import Api


async def test_a_member_posts_and_every_member_pulls_it_and_sees_it_on_the_board(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp", "鈴木 花子")
    neighbour = await s.resident("tom@example.jp", "Tom Baker")

    post_id = await create_post(author, s.association_id, title="Lost cat", body="Grey, answers to Mike",
                                language="en")

    await neighbour.pull_all()
    post = pulled(neighbour, "Post")[post_id]
    assert (post["kind"], post["title"], post["body"], post["language"], post["authorId"]) == (
        "POST", "Lost cat", "Grey, answers to Mike", "en", author.user_id)
    assert neighbour.replica[("Post", post_id)]["version"] == 1
    data = (await board(api, neighbour, s.association_id)).body["data"]["board"]
    [edge] = data["edges"]
    assert (edge["node"]["id"], edge["node"]["authorName"], edge["node"]["urgency"]) == (post_id, "鈴木 花子", "NORMAL")
    assert data["pageInfo"]["hasNextPage"] is False


async def test_a_non_member_sees_nothing_of_a_closed_association(api: Api) -> None:
    s = await street(api)
    author = await s.resident("hanako@example.jp")
    outsider = await api.device("outsider@example.jp")
    post_id = await create_post(author, s.association_id, title="回覧: 防災訓練")
    comment_id = str(uuid.uuid4())
    await act(author, "createComment", {"id": comment_id, "postId": post_id, "body": "参加します"})

    reply = await board(api, outsider, s.association_id)
    anonymous = await board(api, None, s.association_id)
    await outsider.pull_all()

    assert reply.body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert reply.body["data"] is None
    assert anonymous.body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    kinds = {kind for kind, _ in outsider.replica}
    assert not kinds & {"Post", "Comment", "Association", "Household", "CircularRead"}, kinds


async def test_anyone_signed_in_reads_the_board_of_an_open_association_but_only_members_post(api: Api) -> None:
    association = await new_association(api, "オープン町会", is_open=True)
    visitor = await api.device("visitor@example.jp")

    reply = await board(api, visitor, association)

    assert reply.body["data"]["board"]["edges"] == []
    assert rejected(await act(visitor, "createPost", post_args(association))) == "FORBIDDEN"


async def test_a_member_of_another_association_cannot_post_or_comment_there(api: Api) -> None:
    here = await street(api)
    there = await street(api, "本町二丁目町会", leader_email="other@example.jp")
    resident = await here.resident("hanako@example.jp")
    stranger = await there.resident("stranger@example.jp")
    post_id = await create_post(resident, here.association_id)

    refused_post = rejected(await act(stranger, "createPost", post_args(here.association_id)))
    refused_comment = rejected(await act(stranger, "createComment",
                                         {"id": str(uuid.uuid4()), "postId": post_id, "body": "こんにちは"}))
    refused_report = rejected(await act(stranger, "reportContent",
                                        {"id": str(uuid.uuid4()), "targetType": "POST", "targetId": post_id}))
    refused_leader = rejected(await act(there.leader, "createPost", post_args(here.association_id, "BROADCAST")))

    assert refused_post == refused_comment == refused_report == refused_leader == "FORBIDDEN"
    await stranger.pull_all()
    assert post_id not in pulled(stranger, "Post")


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"title": ""}, "empty title"),
        ({"title": "x" * 201}, "title too long"),
        ({"body": "   "}, "empty body"),
        ({"body": "x" * 10_001}, "body too long"),
        ({"language": "<script>"}, "not a language tag"),
        ({"urgency": "EMERGENCY"}, "residents' posts carry no urgency"),
        ({"rsvp": True}, "only circulars ask for attendance"),
        ({"id": "not-a-uuid"}, "the id must be a UUID"),
    ],
)
async def test_posts_outside_the_rules_are_rejected_as_validation(api: Api, fields: dict[str, object], why: str) -> None:
    s = await street(api)
    resident = await s.resident("hanako@example.jp")

    assert rejected(await act(resident, "createPost", {**post_args(s.association_id), **fields})) == "VALIDATION", why


async def test_markup_is_stored_and_returned_exactly_as_typed(api: Api) -> None:
    s = await street(api)
    resident = await s.resident("hanako@example.jp")
    title = '<img src=x onerror="alert(1)">'
    body = "<script>alert('x')</script> & <b>太字</b>"

    post_id = await create_post(resident, s.association_id, title=title, body=body)

    await resident.pull_all()
    assert (pulled(resident, "Post")[post_id]["title"], pulled(resident, "Post")[post_id]["body"]) == (title, body)
    node = (await board(api, resident, s.association_id)).body["data"]["board"]["edges"][0]["node"]
    assert (node["title"], node["body"]) == (title, body)


async def test_residents_posting_too_fast_are_held_back_but_leaders_broadcasts_never(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTAGAI_RATE_LIMITS", "on")
    monkeypatch.setattr(limits, "POSTS_PER_HOUR", 3)
    s = await street(api)
    resident = await s.resident("hanako@example.jp")
    for number in range(3):
        await create_post(resident, s.association_id, title=f"投稿 {number}")

    held = rejected(await act(resident, "createPost", post_args(s.association_id)))
    for _ in range(4):
        await create_post(s.leader, s.association_id, "BROADCAST", title="お知らせ")

    assert held == "RATE_LIMITED"
    assert len(await board_titles(api, resident, s.association_id)) == 7


async def test_rate_limits_are_off_with_otagai_rate_limits_off(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "POSTS_PER_HOUR", 1)
    s = await street(api)
    resident = await s.resident("hanako@example.jp")

    for number in range(3):
        await create_post(resident, s.association_id, title=f"投稿 {number}")

    assert len(await board_titles(api, resident, s.association_id)) == 3
