"""Offline first, in a real browser: the shell starts offline from the service worker's cache,
a check-in made offline waits in the outbox and reaches the server exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.pwa.site import Phone, Site, shown


def _checkins_of(site: Site, email: str) -> list[dict[str, Any]]:
    token, user_id = site.login(email)
    return [c for c in site.pulled(token) if c["entityType"] == "CheckIn" and c["data"]["reporterId"] == user_id]


def test_a_check_in_made_offline_is_applied_once_when_the_network_returns(phone: Phone, site: Site) -> None:
    site.open_drill()
    page = phone.page
    phone.open()
    phone.register("offline@example.jp", "山田 花子")
    phone.wait_controlled()
    shown(page, "訓練", exact=True).first.wait_for()  # the open drill arrived by pull

    phone.offline()
    page.reload()
    page.get_by_role("heading", name="安否確認", level=1).wait_for()  # the shell, from the cache
    page.locator(".sync .offline").get_by_text("オフライン").wait_for()
    shown(page, "訓練", exact=True).first.wait_for()  # and the last pull, from IndexedDB
    assert "最終更新" in page.locator(".updated").inner_text()

    phone.check_in("無事です", "自宅にいます")
    shown(page, "1 件送信待ち").wait_for()
    assert page.locator(".current").inner_text().startswith("↑")  # shown as waiting to send

    phone.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    checkins = _checkins_of(site, "offline@example.jp")
    assert [(c["data"]["condition"], c["data"]["place"]) for c in checkins] == [("SAFE", "HOME")]
    assert site.rows("SELECT count(*) FROM checkin") == [(1,)]
    assert site.rows("SELECT status, count(*) FROM sync_mutation GROUP BY status") == [("APPLIED", 1)]


def test_a_push_whose_reply_is_lost_is_resent_and_not_doubled(phones: Callable[..., Phone], site: Site) -> None:
    site.open_drill()
    # Without a service worker every push leaves from the page, where the test can cut it.
    phone = phones(service_workers="block")
    page = phone.page
    phone.open()
    phone.register("lost-reply@example.jp", "佐藤 一郎")
    shown(page, "訓練", exact=True).first.wait_for()
    lost: list[str] = []

    def lose_the_first_push_reply(route: Any) -> None:
        body = route.request.post_data or ""
        if "mutation Push" in body and not lost:
            route.fetch()  # the server commits the check-in…
            lost.append(body)
            route.abort("connectionreset")  # …and the phone never hears back
        else:
            route.continue_()

    page.route("**/graphql", lose_the_first_push_reply)
    phone.check_in("被害があります")
    shown(page, "1 件送信待ち").wait_for()
    for _ in range(100):
        if lost:
            break
        page.wait_for_timeout(100)
    assert lost, "the push was not sent"
    assert phone.pending() == "↑1 件送信待ち"  # no reply: still queued
    phone.offline()
    phone.offline(False)  # `online` drains again: the server answers DUPLICATE, nothing doubles
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    assert [c["data"]["condition"] for c in _checkins_of(site, "lost-reply@example.jp")] == ["NEED_HELP"]
    assert site.rows("SELECT count(*) FROM checkin") == [(1,)]
    assert not page.locator(".attention").count()


def test_a_rejected_action_is_listed_under_needs_attention_with_the_servers_message(
    phone: Phone, site: Site
) -> None:
    incident = site.open_drill("閉じられる訓練")
    page = phone.page
    phone.open()
    phone.register("rejected@example.jp", "鈴木 次郎")
    shown(page, "閉じられる訓練").wait_for()
    phone.offline()
    phone.check_in("無事です")
    shown(page, "1 件送信待ち").wait_for()
    site.close_incident(incident)  # closed while the phone was offline

    phone.offline(False)
    attention = page.locator(".attention")
    attention.wait_for(timeout=15000)
    assert "確認が必要です（1 件）" in attention.inner_text()
    assert "この災害・訓練の受付はすでに終了していました。" in attention.inner_text()
    assert "This incident is closed" in attention.inner_text()  # the server's own message
    assert phone.pending() == "✓すべて送信済み"

    page.get_by_role("button", name="確認しました").click()
    attention.wait_for(state="detached")
