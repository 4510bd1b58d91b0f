"""The `board` query: keyset pages, newest first, and the same statements per page whatever its size."""

from __future__ import annotations

from backend.board import posts
from backend.board.types import CreatePostInput, PostKind
from backend.core.actions import ActionContext
from backend.core.clock import utcnow
from tests.board.street import counted, gql, street
from tests.conftest import Api


async def _posts(api: Api, association_id: str, author_id: str, count: int, first: int = 0) -> list[str]:
    """Many posts at once, through the same service the push action calls."""
    made = []
    async with api.parts.db.unit_of_work() as uow:
        for number in range(first, first + count):
            post_id = f"00000000-0000-4000-8000-{number:012d}"
            ctx = ActionContext(author_id, "bench", post_id, utcnow(), utcnow(), False, utcnow())
            await posts.create_post(uow.session, ctx, CreatePostInput(
                id=post_id, association_id=association_id, kind=PostKind.POST, title=f"投稿 {number}", body="本文"))
            made.append(post_id)
        await uow.commit()
    return made


async def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(api: Api) -> None:
    s = await street(api)
    member = await s.resident("hanako@example.jp")
    made = await _posts(api, s.association_id, member.user_id, 25)

    seen: list[str] = []
    after = None
    while True:
        data = (await gql(api, "Board", {"associationId": s.association_id, "first": 10, "after": after},
                          member))["board"]
        seen += [edge["node"]["id"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]

    assert seen == sorted(made, reverse=True)  # same created_at: newest id first, as ordered


async def test_a_board_page_costs_the_same_queries_for_3_posts_as_for_60(api: Api) -> None:
    s = await street(api)
    member = await s.resident("hanako@example.jp")
    await _posts(api, s.association_id, member.user_id, 3)
    variables = {"associationId": s.association_id, "first": 100}
    await gql(api, "Board", variables, member)  # warm caches

    with counted(api) as few:
        small = await gql(api, "Board", variables, member)
    await _posts(api, s.association_id, member.user_id, 57, first=100)
    with counted(api) as many:
        large = await gql(api, "Board", variables, member)

    assert (len(small["board"]["edges"]), len(large["board"]["edges"])) == (3, 60)
    assert len(many) == len(few), (few, many)
    # the token with its roles; who may read (the association and the membership); the page with its photos
    assert len(few) == 3, few


async def test_a_malformed_cursor_or_page_size_is_a_validation_error(api: Api) -> None:
    s = await street(api)
    member = await s.resident("hanako@example.jp")

    for variables in ({"after": "not-a-cursor"}, {"first": 0}, {"first": 101}):
        reply = await api.gql.execute("Board", {"associationId": s.association_id, **variables}, member.token)
        assert reply.body["errors"][0]["extensions"]["code"] == "VALIDATION", variables
