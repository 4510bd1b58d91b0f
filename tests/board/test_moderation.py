"""Moderation: members report, leaders hide and unhide with a reason, the author is told
through their own pull, and members no longer see what was hidden."""

from __future__ import annotations

import uuid

from tests.board.street import act, applied, board_titles, create_post, gql, pulled, street
from tests.conftest import Api


async def test_a_report_reaches_the_leaders_and_reporting_twice_changes_nothing(api: Api) -> None:
    s = await street(api)
    author = await s.resident("spam@example.jp")
    reporter = await s.resident("hanako@example.jp")
    post_id = await create_post(author, s.association_id, title="儲かる話")

    first = applied(await act(reporter, "reportContent",
                              {"id": str(uuid.uuid4()), "targetType": "POST", "targetId": post_id, "reason": "勧誘"}))
    second = applied(await act(reporter, "reportContent",
                               {"id": str(uuid.uuid4()), "targetType": "POST", "targetId": post_id}))

    assert first == second
    await s.leader.pull_all()
    [report] = pulled(s.leader, "Report").values()
    assert (report["targetId"], report["reason"], report["reporterId"]) == (post_id, "勧誘", reporter.user_id)
    await author.pull_all()
    assert pulled(author, "Report") == {}, "the author does not learn who reported them"


async def test_a_hidden_post_leaves_members_devices_and_its_author_is_told_why(api: Api) -> None:
    s = await street(api)
    author = await s.resident("spam@example.jp")
    member = await s.resident("hanako@example.jp")
    third = await s.resident("tom@example.jp")
    post_id = await create_post(author, s.association_id, title="儲かる話")
    await create_post(member, s.association_id, title="普通の投稿")
    comment_id = applied(await act(member, "createComment",
                                   {"id": str(uuid.uuid4()), "postId": post_id, "body": "本当ですか"}))
    await member.pull_all()
    assert post_id in pulled(member, "Post") and comment_id in pulled(member, "Comment")

    hidden = (await gql(api, "Moderate", {"targetType": "POST", "targetId": post_id, "hidden": True,
                                          "reason": "営業目的の投稿"}, s.leader))["moderate"]

    assert (hidden["hidden"], hidden["reason"], hidden["version"]) == (True, "営業目的の投稿", 2)
    await member.pull_all()
    assert post_id not in pulled(member, "Post")
    assert pulled(member, "Comment")[comment_id]["body"] == "本当ですか", "their own comment stays with them"
    await third.pull_all()
    assert post_id not in pulled(third, "Post") and comment_id not in pulled(third, "Comment")
    assert await board_titles(api, member, s.association_id) == ["普通の投稿"]
    await author.pull_all()
    post = pulled(author, "Post")[post_id]
    assert (post["hidden"], post["hiddenReason"]) == (True, "営業目的の投稿")
    [notice] = pulled(author, "ModerationNotice").values()
    assert (notice["targetId"], notice["hidden"], notice["reason"]) == (post_id, True, "営業目的の投稿")
    assert "儲かる話" in await board_titles(api, s.leader, s.association_id), "leaders still see it"

    shown = (await gql(api, "Moderate", {"targetType": "POST", "targetId": post_id, "hidden": False},
                       s.leader))["moderate"]

    assert (shown["hidden"], shown["reason"]) == (False, None)
    await member.pull_all()
    assert pulled(member, "Post")[post_id]["hidden"] is False
    await third.pull_all()
    assert comment_id in pulled(third, "Comment"), "shown again with its post"


async def test_leaders_hide_comments_too_and_only_leaders_moderate_with_a_reason(api: Api) -> None:
    s = await street(api)
    author = await s.resident("rude@example.jp")
    member = await s.resident("hanako@example.jp")
    post_id = await create_post(member, s.association_id)
    comment_id = applied(await act(author, "createComment",
                                   {"id": str(uuid.uuid4()), "postId": post_id, "body": "失礼なコメント"}))

    by_member = (await gql(api, "Moderate", {"targetType": "COMMENT", "targetId": comment_id, "hidden": True,
                                             "reason": "嫌い"}, member))["moderate"]
    no_reason = (await gql(api, "Moderate", {"targetType": "COMMENT", "targetId": comment_id, "hidden": True},
                           s.leader))["moderate"]
    hidden = (await gql(api, "Moderate", {"targetType": "COMMENT", "targetId": comment_id, "hidden": True,
                                          "reason": "誹謗中傷"}, s.leader))["moderate"]

    assert (by_member["code"], no_reason["code"], hidden["hidden"]) == ("FORBIDDEN", "VALIDATION", True)
    await member.pull_all()
    assert comment_id not in pulled(member, "Comment")
    await author.pull_all()
    assert pulled(author, "Comment")[comment_id]["hiddenReason"] == "誹謗中傷"
