"""`circularReceipts` a page at a time, in street order, as a leader's screen asks for it: exact
counts on every page, pages that follow each other without gaps or repeats, the unread list
that follows reads arriving late, and the same statements whatever the association's size."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.board import households
from tests.board.street import (
    Street,
    act,
    applied,
    counted,
    create_post,
    gql,
    receipts,
    receipts_page,
    street,
)
from tests.conftest import Api

# Street order: 丁目, then 番, then 号 as numbers (3-1-2 before 3-1-10), then the label.
ADDRESSES = ["駒込3-1-10", "駒込3-1-2", "駒込2-9-1", "駒込3-10-1", "駒込3-2-1", "駒込1-1-1", "駒込3-1-2"]
LABELS = ["十号", "二号", "二丁目", "十番", "二番", "一丁目", "二号の隣"]
STREET_ORDER = ["一丁目", "二丁目", "二号", "二号の隣", "十号", "二番", "十番"]


async def _homes(api: Api, s: Street, count: int, *, start: int = 0) -> list[str]:
    """Households recorded by the leader, through the service the push action calls."""
    made = []
    async with api.parts.db.unit_of_work() as uow:
        for number in range(start, start + count):
            home = await households.create_household(
                uow.session, association_id=s.association_id, label=f"世帯{number}", address=f"駒込1-{number}-1",
                created_by=s.leader.user_id)
            made.append(home.id)
        await uow.commit()
    return made


async def _street_of_seven(api: Api) -> tuple[Street, dict[str, str]]:
    s = await street(api)
    ids = {}
    for label, address in zip(LABELS, ADDRESSES, strict=True):
        ids[label] = applied(await act(s.leader, "createHousehold", {
            "id": str(uuid.uuid4()), "associationId": s.association_id, "label": label, "address": address}))
    return s, ids


async def _pages(api: Api, s: Street, circular: str, **args: Any) -> list[dict[str, Any]]:
    pages, after = [], None
    while True:
        reply = await receipts_page(api, s.leader, circular, after=after, **args)
        assert not reply.body.get("errors"), reply.body
        page = reply.body["data"]["circularReceipts"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


async def test_pages_walk_every_household_once_in_street_order_with_the_counts_on_each(api: Api) -> None:
    s, ids = await _street_of_seven(api)
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="回覧", rsvp=True)
    for label in ("二番", "十号"):  # told by hand
        await gql(api, "MarkHouseholdInformed", {"postId": circular, "householdId": ids[label]}, s.leader)

    pages = await _pages(api, s, circular, first=3)

    assert [len(p["households"]) for p in pages] == [3, 3, 1]
    assert [h["label"] for p in pages for h in p["households"]] == STREET_ORDER
    assert {(p["readCount"], p["unreadCount"], p["totalCount"]) for p in pages} == {(2, 5, 7)}
    read = {h["label"] for p in pages for h in p["households"] if h["read"] and h["informed"]}
    assert read == {"二番", "十号"}
    legacy = await receipts(api, s.leader, circular)  # the operation of before pages
    whole = (await receipts_page(api, s.leader, circular)).body["data"]["circularReceipts"]
    assert [h["label"] for h in legacy["households"]] == [h["label"] for h in whole["households"]] == STREET_ORDER
    assert (whole["totalCount"], whole["pageInfo"]["hasNextPage"]) == (7, False), "no first, no after: all"


async def test_the_unread_pages_follow_reads_that_arrive_late_and_skip_no_one(api: Api) -> None:
    s = await street(api)
    residents = [await s.resident(f"r{n}@example.jp", f"住民{n:02d}") for n in range(6)]
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="断水のお知らせ")
    applied(await act(residents[0], "markCircularRead", {"postId": circular}))
    offline, shows = residents[4], {"now": datetime.now(UTC) - timedelta(hours=6)}
    offline.clock = lambda: shows["now"]
    offline.enqueue("markCircularRead", {"postId": circular})  # read on a phone without signal

    first = (await receipts_page(api, s.leader, circular, first=2, unreadOnly=True)).body["data"]["circularReceipts"]
    shows["now"] = datetime.now(UTC)
    await offline.drain()  # six hours later, between two pages of the leader's list
    rest = await _pages(api, s, circular, first=2, unreadOnly=True)
    after_first = (await receipts_page(api, s.leader, circular, first=2, unreadOnly=True,
                                       after=first["pageInfo"]["endCursor"])).body["data"]["circularReceipts"]

    assert [h["label"] for h in first["households"]] == ["住民01", "住民02"]
    assert (first["readCount"], first["unreadCount"], first["totalCount"]) == (1, 5, 5)
    assert [h["label"] for p in rest for h in p["households"]] == ["住民01", "住民02", "住民03", "住民05"]
    assert {(p["readCount"], p["unreadCount"], p["totalCount"]) for p in rest} == {(2, 4, 4)}
    assert [h["label"] for h in after_first["households"]] == ["住民03", "住民05"], "the late read drops out"
    assert all(not h["read"] for p in rest for h in p["households"])


async def test_a_page_past_the_end_is_empty_and_still_counts(api: Api) -> None:
    s, _ = await _street_of_seven(api)
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="回覧")
    last = (await _pages(api, s, circular, first=7))[-1]

    beyond = (await receipts_page(api, s.leader, circular, first=7, after=last["pageInfo"]["endCursor"])).body[
        "data"]["circularReceipts"]

    assert (beyond["households"], beyond["pageInfo"]) == ([], {"hasNextPage": False, "endCursor": None})
    assert (beyond["readCount"], beyond["unreadCount"], beyond["totalCount"]) == (0, 7, 7)


async def test_a_page_size_out_of_range_or_a_malformed_cursor_is_a_validation_error(api: Api) -> None:
    s, _ = await _street_of_seven(api)
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="回覧")

    codes = []
    for args in ({"first": 0}, {"first": 501}, {"first": 10, "after": "%%%"}, {"after": "gA=="}, {"after": ""},
                 {"after": "YWJj"}):
        reply = await receipts_page(api, s.leader, circular, **args)
        codes.append(reply.body["errors"][0]["extensions"]["code"])
    one = (await receipts_page(api, s.leader, circular, first=1)).body["data"]["circularReceipts"]
    rest = (await receipts_page(api, s.leader, circular, after=one["pageInfo"]["endCursor"])).body["data"][
        "circularReceipts"]

    assert codes == ["VALIDATION"] * 6
    assert len(rest["households"]) == 6, "after without first: a page of the default size (100)"


async def test_only_leaders_of_the_association_see_a_page_of_receipts(api: Api) -> None:
    s = await street(api)
    resident = await s.resident("hanako@example.jp")
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="回覧")

    reply = await receipts_page(api, resident, circular, first=10)

    assert reply.body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert reply.body["data"] is None


async def test_a_page_of_receipts_costs_the_same_statements_for_3_households_as_for_300(api: Api) -> None:
    s = await street(api)
    await _homes(api, s, 3)
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="回覧")
    await receipts_page(api, s.leader, circular, first=100)  # warm caches

    with counted(api) as few:
        small = (await receipts_page(api, s.leader, circular, first=100)).body["data"]["circularReceipts"]
    await _homes(api, s, 297, start=3)
    with counted(api) as many:
        large = (await receipts_page(api, s.leader, circular, first=100)).body["data"]["circularReceipts"]

    assert (small["totalCount"], len(small["households"]), large["totalCount"], len(large["households"])) == (
        3, 3, 300, 100)
    # the token with its roles; the circular; the counts and the page in one statement
    assert len(few) == len(many) == 3, (few, many)
