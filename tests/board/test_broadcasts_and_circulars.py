"""Leader broadcasts with urgency, and circulars (回覧板) with per-household read receipts and
RSVP tallies — including reads that arrive hours later from phones that were offline."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import events
from tests.board.street import (
    Street,
    act,
    applied,
    board,
    create_post,
    gql,
    pulled,
    receipts,
    rejected,
    street,
)
from tests.conftest import Api
from tests.support.client import OutboxClient

HEARD: list[tuple[str, dict[str, Any]]] = []


async def _broadcast(session: AsyncSession, **payload: Any) -> None:
    HEARD.append((events.BROADCAST_PUBLISHED, payload))


async def _circular(session: AsyncSession, **payload: Any) -> None:
    HEARD.append((events.CIRCULAR_PUBLISHED, payload))


@pytest.fixture
def heard() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    events.subscribe(events.BROADCAST_PUBLISHED, _broadcast)
    events.subscribe(events.CIRCULAR_PUBLISHED, _circular)
    HEARD.clear()
    yield HEARD
    HEARD.clear()


async def test_an_emergency_broadcast_is_pinned_above_newer_posts_and_announced(
    api: Api, heard: list[tuple[str, dict[str, Any]]]
) -> None:
    s = await street(api)
    resident = await s.resident("hanako@example.jp")
    emergency = await create_post(s.leader, s.association_id, "BROADCAST", title="避難指示", urgency="EMERGENCY")
    important = await create_post(s.leader, s.association_id, "BROADCAST", title="断水のお知らせ", urgency="IMPORTANT")
    await create_post(resident, s.association_id, title="新しい投稿")

    nodes = [e["node"] for e in (await board(api, resident, s.association_id)).body["data"]["board"]["edges"]]

    assert [(n["title"], n["pinned"], n["urgency"]) for n in nodes] == [
        ("避難指示", True, "EMERGENCY"), ("新しい投稿", False, "NORMAL"), ("断水のお知らせ", False, "IMPORTANT")]
    assert heard == [
        (events.BROADCAST_PUBLISHED, {"post_id": emergency, "association_id": s.association_id,
                                      "urgency": "EMERGENCY", "title": "避難指示"}),
        (events.BROADCAST_PUBLISHED, {"post_id": important, "association_id": s.association_id,
                                      "urgency": "IMPORTANT", "title": "断水のお知らせ"}),
    ]
    assert rejected(await act(s.leader, "createPost", {
        "id": "00000000-0000-4000-8000-000000000001", "associationId": s.association_id, "kind": "CIRCULAR",
        "title": "x", "body": "y", "urgency": "EMERGENCY"})) == "VALIDATION"


async def _family(api: Api, s: Street, label_email: str, *extra: str) -> list[OutboxClient]:
    """A household: the first joins by invite; the leader adds the others, who then join."""
    first = await s.resident(label_email, label_email.split("@")[0])
    await first.pull_all()
    [home] = pulled(first, "Household")
    members = [first]
    for email in extra:
        device = await api.device(email, email.split("@")[0])
        applied(await act(s.leader, "addHouseholdMember", {"householdId": home, "personId": device.user_id}))
        members.append(await _joined(api, s, device))
    return members


async def _joined(api: Api, s: Street, device: OutboxClient) -> OutboxClient:
    from tests.board.street import invite, join

    await join(api, device, await invite(api, s.leader, s.association_id))
    return device


async def test_a_circular_counts_once_per_household_whichever_member_reads_it(
    api: Api, heard: list[tuple[str, dict[str, Any]]]
) -> None:
    s = await street(api)
    suzuki = await _family(api, s, "suzuki@example.jp", "suzuki-wife@example.jp")
    sato = await _family(api, s, "sato@example.jp")
    await _family(api, s, "tanaka@example.jp")
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="防災訓練のお知らせ")

    for device in (*suzuki, *sato):
        applied(await act(device, "markCircularRead", {"postId": circular}))
    again = await act(suzuki[0], "markCircularRead", {"postId": circular})

    found = await receipts(api, s.leader, circular)
    assert (found["readCount"], found["unreadCount"]) == (2, 1)
    assert {h["label"]: h["read"] for h in found["households"]} == {"suzuki": True, "sato": True, "tanaka": False}
    assert again["status"] == "APPLIED" and again["version"] == 1, "a second read changes nothing"
    assert heard == [(events.CIRCULAR_PUBLISHED, {"post_id": circular, "association_id": s.association_id,
                                                  "title": "防災訓練のお知らせ"})]
    await suzuki[1].pull_all()
    [receipt] = pulled(suzuki[1], "CircularRead").values()
    assert (receipt["postId"], receipt["read"]) == (circular, True)
    await sato[0].pull_all()
    assert len(pulled(sato[0], "CircularRead")) == 1, "a household sees only its own receipt"


async def test_two_members_of_a_household_reading_at_the_same_moment_make_one_receipt(api: Api) -> None:
    s = await street(api)
    family = await _family(api, s, "suzuki@example.jp", "suzuki-wife@example.jp", "suzuki-son@example.jp")
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="防犯のお知らせ")

    results = await asyncio.gather(*(act(device, "markCircularRead", {"postId": circular}) for device in family))

    assert [r["status"] for r in results] == ["APPLIED"] * 3
    found = await receipts(api, s.leader, circular)
    assert (found["readCount"], found["unreadCount"]) == (1, 0)
    await s.leader.pull_all()
    [receipt] = [
        row for (kind, _), row in s.leader.replica.items() if kind == "CircularRead"]
    assert receipt["version"] == 1 and receipt["data"]["read"] is True


async def test_a_read_from_a_phone_offline_for_hours_arrives_late_with_the_time_it_was_opened(api: Api) -> None:
    s = await street(api)
    [tanaka] = await _family(api, s, "tanaka@example.jp")
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="ごみ収集日の変更")
    opened_at = datetime.now(UTC) - timedelta(hours=5)
    shows = {"now": opened_at}
    tanaka.clock = lambda: shows["now"]
    tanaka.enqueue("markCircularRead", {"postId": circular})  # opened on the train, no signal
    before = (await gql(api, "UnreadHouseholds", {"postId": circular}, s.leader))["circularReceipts"]

    shows["now"] = datetime.now(UTC)  # five hours later, back online
    await tanaka.drain()

    after = await receipts(api, s.leader, circular)
    assert ([h["label"] for h in before["households"]], before["unreadCount"]) == (["tanaka"], 1)
    [household] = after["households"]
    assert (after["readCount"], after["unreadCount"], household["read"]) == (1, 0, True)
    await s.leader.pull_all()
    [receipt] = pulled(s.leader, "CircularRead").values()
    assert receipt["read"] is True
    # Read when it was opened (the phone's clock, skew-corrected), not when it arrived.
    assert abs((datetime.fromisoformat(receipt["readAt"]) - opened_at).total_seconds()) < 60


async def test_a_leader_marks_a_household_without_the_app_informed_by_hand(api: Api) -> None:
    s = await street(api)
    [tanaka] = await _family(api, s, "tanaka@example.jp")
    resident = await s.resident("hanako@example.jp", "hanako")
    await tanaka.pull_all()
    [home] = pulled(tanaka, "Household")
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="敬老会")

    by_resident = (await gql(api, "MarkHouseholdInformed", {"postId": circular, "householdId": home}, resident))[
        "markHouseholdInformed"]
    marked = (await gql(api, "MarkHouseholdInformed", {"postId": circular, "householdId": home}, s.leader))[
        "markHouseholdInformed"]

    assert by_resident["code"] == "FORBIDDEN"
    assert (marked["label"], marked["read"], marked["informed"]) == ("tanaka", True, True)
    found = await receipts(api, s.leader, circular)
    assert {h["label"]: (h["read"], h["informed"]) for h in found["households"]} == {
        "tanaka": (True, True), "hanako": (False, False)}
    await tanaka.pull_all()
    assert [r["informed"] for r in pulled(tanaka, "CircularRead").values()] == [True]


async def test_rsvp_tallies_count_each_household_once_with_its_latest_answer(api: Api) -> None:
    s = await street(api)
    suzuki = await _family(api, s, "suzuki@example.jp", "suzuki-wife@example.jp")
    [sato] = await _family(api, s, "sato@example.jp")
    [tanaka] = await _family(api, s, "tanaka@example.jp")
    await _family(api, s, "takahashi@example.jp")
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="総会のご案内", rsvp=True)

    applied(await act(suzuki[0], "rsvpCircular", {"postId": circular, "answer": "UNDECIDED"}))
    applied(await act(suzuki[1], "rsvpCircular", {"postId": circular, "answer": "ATTEND"}))
    applied(await act(sato, "rsvpCircular", {"postId": circular, "answer": "ABSENT"}))
    applied(await act(tanaka, "markCircularRead", {"postId": circular}))

    found = await receipts(api, s.leader, circular)
    assert found["rsvp"] == {"attend": 1, "absent": 1, "undecided": 0}
    assert {h["label"]: (h["read"], h["rsvp"]) for h in found["households"]} == {
        "suzuki": (True, "ATTEND"), "sato": (True, "ABSENT"), "tanaka": (True, None), "takahashi": (False, None)}
    assert (found["readCount"], found["unreadCount"]) == (3, 1)


async def test_circular_rules_reject_what_does_not_fit(api: Api) -> None:
    s = await street(api)
    [resident] = await _family(api, s, "hanako@example.jp")
    post = await create_post(resident, s.association_id, title="ただの投稿")
    plain = await create_post(s.leader, s.association_id, "CIRCULAR", title="回覧")
    member_without_home = await api.device("leader-only@example.jp")
    from backend.accounts.roles import Role
    from tests.board.street import grant
    await grant(api, member_without_home.user_id, Role.LEADER, s.association_id)

    not_circular = rejected(await act(resident, "markCircularRead", {"postId": post}))
    no_rsvp = rejected(await act(resident, "rsvpCircular", {"postId": plain, "answer": "ATTEND"}))
    no_household = rejected(await act(member_without_home, "markCircularRead", {"postId": plain}))

    assert (not_circular, no_rsvp, no_household) == ("VALIDATION", "VALIDATION", "NO_HOUSEHOLD")


async def test_only_leaders_of_the_association_see_circular_receipts(api: Api) -> None:
    s = await street(api)
    other = await street(api, "本町二丁目町会", leader_email="other@example.jp")
    resident = await s.resident("hanako@example.jp")
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="回覧")

    for viewer in (resident, other.leader):
        reply = await api.gql.execute("CircularReceipts", {"postId": circular}, viewer.token)
        assert reply.body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await api.gql.execute("CircularReceipts", {"postId": circular})
    assert anonymous.status == 401


async def test_receipts_list_households_in_street_order_for_the_door_knock(api: Api) -> None:
    s = await street(api)
    for label, address in [("十番地", "駒込3-1-10"), ("二番地", "駒込3-1-2"), ("二丁目", "駒込2-9-1")]:
        applied(await act(s.leader, "createHousehold", {"id": str(uuid.uuid4()), "associationId": s.association_id,
                                                         "label": label, "address": address}))
    circular = await create_post(s.leader, s.association_id, "CIRCULAR", title="回覧")

    found = await receipts(api, s.leader, circular)

    assert [h["label"] for h in found["households"]] == ["二丁目", "二番地", "十番地"]
