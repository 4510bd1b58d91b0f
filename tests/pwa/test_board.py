"""The association board: a post written offline reaches the server exactly once and shows on the
board; a circular opened offline counts as read for the household once back online, and the
leader sees which households have not read it; an emergency is pinned on top and marked in
words; whatever a post says is shown as text, never run as HTML."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.pwa.site import TARGETS, Phone, Site, audit, shown

ASSOCIATION = "本町一丁目町会"


def _association(site: Site) -> tuple[str, str]:
    return site.association_with_leader(ASSOCIATION)


def _post(site: Site, token: str, association: str, **fields: Any) -> str:
    post_id = str(uuid.uuid4())
    site.push(token, ("createPost", {"id": post_id, "associationId": association, "kind": "POST",
                                     "title": "題名", "body": "本文", **fields}))
    return post_id


def _resident_on_board(phone: Phone, site: Site, association: str, leader_token: str) -> None:
    phone.open("#/signin")
    phone.register("hanako@example.jp", "鈴木 花子")
    site.join(association, leader_token, "hanako@example.jp")
    phone.page.goto("/#/board")
    phone.page.reload()  # a sync: the association and its posts arrive by pull
    phone.page.get_by_role("heading", name="町会の掲示板", level=1).wait_for()
    shown(phone.page, ASSOCIATION).wait_for(timeout=15000)


def _leader_on_board(phones: Callable[..., Phone]) -> Phone:
    leader = phones()
    leader.open("#/signin")
    leader.sign_in("kaicho@example.jp")
    leader.page.goto("/#/board")
    return leader


def test_a_post_written_offline_reaches_the_server_once_and_shows_on_the_board(phone: Phone, site: Site) -> None:
    association, leader_token = _association(site)
    page = phone.page
    _resident_on_board(phone, site, association, leader_token)
    phone.wait_controlled()

    phone.offline()
    page.get_by_label("題名").fill("防災倉庫の鍵")
    page.get_by_label("本文").fill("鍵は集会所の箱にあります。\n二行目です。")
    page.get_by_role("button", name="投稿する").click()
    shown(page, "1 件送信待ち").wait_for()
    post = page.locator(".post").filter(has_text="防災倉庫の鍵")
    assert "送信待ち" in post.inner_text() and "二行目です。" in post.inner_text()
    page.reload()  # still there offline, from the queue
    shown(page, "1 件送信待ち").wait_for()
    assert page.locator(".post").filter(has_text="防災倉庫の鍵").count() == 1

    phone.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    assert site.rows("SELECT title, kind, body FROM post") == [("防災倉庫の鍵", "POST", "鍵は集会所の箱にあります。\n二行目です。")]
    titles = [c["data"]["title"] for c in site.pulled(leader_token) if c["entityType"] == "Post"]
    assert titles == ["防災倉庫の鍵"]
    page.wait_for_function("() => !document.querySelector('.post').innerText.includes('送信待ち')")
    assert page.locator(".post").count() == 1


def test_a_circular_opened_offline_counts_as_read_for_the_household_when_back_online(
    phones: Callable[..., Phone], site: Site
) -> None:
    association, leader_token = _association(site)
    site.push(leader_token, ("createHousehold", {"id": str(uuid.uuid4()), "associationId": association,
                                                  "label": "佐藤家", "address": "本町1-2-1"}))
    circular = _post(site, leader_token, association, kind="CIRCULAR", title="防災訓練のお知らせ",
                     body="9月1日 10時 公園に集合", rsvp=True)
    resident = phones()
    page = resident.page
    _resident_on_board(resident, site, association, leader_token)
    item = page.locator(".post").filter(has_text="防災訓練のお知らせ")
    assert "未読" in item.inner_text() and "9月1日" not in item.inner_text()  # closed until opened

    resident.offline()
    item.get_by_role("button", name="回覧板を開いて読む").click()
    shown(page, "9月1日 10時 公園に集合").wait_for()
    item.get_by_text("既読（送信待ち）").wait_for()  # queued as the household's read, offline
    item.get_by_role("button", name="参加").click()
    shown(page, "2 件送信待ち").wait_for()
    assert item.get_by_role("button", name="参加").get_attribute("aria-pressed") == "true"

    resident.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    receipts = site.graphql("CircularReceipts", {"postId": circular}, leader_token)["circularReceipts"]
    assert (receipts["readCount"], receipts["unreadCount"]) == (1, 1)
    assert receipts["rsvp"] == {"attend": 1, "absent": 0, "undecided": 0}
    assert {h["label"]: (h["read"], h["rsvp"]) for h in receipts["households"]}["鈴木 花子"] == (True, "ATTEND")
    page.wait_for_function("() => document.querySelector('main').innerText.includes('既読（世帯として読みました）')")

    # The leader sees the household that has not read it, and still does offline.
    leader = _leader_on_board(phones)
    circular_item = leader.page.locator(".post").filter(has_text="防災訓練のお知らせ")
    circular_item.get_by_role("button", name="回覧板を開いて読む").click(timeout=15000)
    shown(leader.page, "既読 1 世帯 / 未読 1 世帯").wait_for(timeout=15000)
    assert "佐藤家" in circular_item.locator(".unread-list").inner_text()
    assert "鈴木 花子" not in circular_item.locator(".unread-list").inner_text()
    assert "参加 1 / 欠席 0 / 未定 0" in circular_item.inner_text()
    leader.wait_controlled()
    leader.offline()
    leader.page.reload()
    leader.page.locator(".post").filter(has_text="防災訓練のお知らせ").get_by_role(
        "button", name="回覧板を開いて読む").click()
    shown(leader.page, "既読 1 世帯 / 未読 1 世帯").wait_for()


def test_an_emergency_is_pinned_on_top_and_markup_in_a_post_shows_as_text(phone: Phone, site: Site) -> None:
    association, leader_token = _association(site)
    injected = "<img src=x onerror=alert(1)>"
    _post(site, leader_token, association, kind="BROADCAST", urgency="EMERGENCY", title="断水のお知らせ",
          body="給水車は公園に来ます。")
    _post(site, leader_token, association, title=injected, body="<script>alert(2)</script><b>太字</b>")
    dialogs: list[str] = []
    phone.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page = phone.page
    _resident_on_board(phone, site, association, leader_token)
    page.get_by_role("heading", name=injected, level=3).wait_for(timeout=15000)

    headings = [str(h) for h in page.locator(".post h3").all_inner_texts()]
    assert headings == ["断水のお知らせ", injected]  # the emergency first though it is older
    emergency = page.locator("section.emergencies")
    assert "緊急のお知らせ" in emergency.locator("h2").inner_text()
    assert "緊急" in emergency.locator(".badge").all_inner_texts()[1]  # said in words, not colour alone
    shown(page, "<script>alert(2)</script><b>太字</b>").wait_for()
    assert page.locator("main img, main script, main b").count() == 0
    assert dialogs == []


def test_a_comment_written_offline_is_sent_once_and_a_leader_hides_a_post_with_a_reason(
    phones: Callable[..., Phone], site: Site
) -> None:
    association, leader_token = _association(site)
    resident = phones()
    page = resident.page
    _resident_on_board(resident, site, association, leader_token)
    hanako, _ = site.login("hanako@example.jp")
    post = _post(site, hanako, association, title="自転車を譲ります", body="090-0000-0000 までどうぞ")
    page.reload()
    item = page.locator(".post").filter(has_text="自転車を譲ります")
    item.wait_for(timeout=15000)
    resident.wait_controlled()

    resident.offline()
    item.get_by_role("button", name="コメント（0）: 自転車を譲ります").click()
    item.get_by_label("コメントを書く").fill("<b>まだありますか？</b>")
    item.get_by_role("button", name="コメントする").click()
    shown(page, "1 件送信待ち").wait_for()
    assert "<b>まだありますか？</b>" in item.locator(".comment").inner_text()  # as text
    assert audit(page) == [] and page.evaluate(TARGETS) == []
    resident.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    assert site.rows("SELECT body, deleted FROM post_comment") == [("<b>まだありますか？</b>", 0)]
    item.get_by_role("button", name="自分のコメントを消す").wait_for(timeout=15000)
    item.get_by_role("button", name="自分のコメントを消す").click()
    site.rows_become([(1,)], "SELECT deleted FROM post_comment")
    item.get_by_text("まだコメントはありません。").wait_for()

    # The leader hides the post: a reason is required, and the writer is shown it.
    leader = _leader_on_board(phones)
    led = leader.page.locator(".post").filter(has_text="自転車を譲ります")
    led.get_by_role("button", name="メンバーに見えなくする: 自転車を譲ります").click(timeout=15000)
    led.get_by_role("button", name="見えなくする", exact=True).click()
    shown(leader.page, "理由を書いてください（500 文字まで）。").wait_for()
    led.get_by_label("見えなくする理由（書いた人に伝わります）").fill("電話番号が書かれているため")
    assert audit(leader.page) == []
    led.get_by_role("button", name="見えなくする", exact=True).click()
    shown(leader.page, "メンバーに見えなくしました。").wait_for(timeout=15000)
    assert site.rows("SELECT hidden, hidden_reason FROM post WHERE id = ?", post) == [(1, "電話番号が書かれているため")]
    led.get_by_text("非表示", exact=True).wait_for(timeout=15000)
    page.reload()
    shown(page, "非表示の理由: 電話番号が書かれているため").wait_for(timeout=15000)

    led.get_by_role("button", name="もう一度見えるようにする: 自転車を譲ります").click()
    shown(leader.page, "もう一度見えるようにしました。").wait_for(timeout=15000)
    assert site.rows("SELECT hidden FROM post WHERE id = ?", post) == [(0,)]
