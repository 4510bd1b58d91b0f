"""Sign-in and the queue (SYNC.md): a 401 pauses the queue and asks to sign in, never discards
it; another user signing in on the device never sends the first user's queue."""

from __future__ import annotations

from tests.pwa.site import Phone, Site, shown


def _checkins_by(site: Site, email: str) -> list[str]:
    token, user_id = site.login(email)
    return [c["data"]["condition"] for c in site.pulled(token)
            if c["entityType"] == "CheckIn" and c["data"]["reporterId"] == user_id]


def test_a_screen_that_needs_sign_in_shows_the_sign_in_form_first(phone: Phone, site: Site) -> None:
    site.register("gate@example.jp", "高橋 三郎")
    page = phone.page
    phone.open("#/settings")
    page.get_by_role("heading", name="サインイン", level=1).wait_for()
    shown(page, "この画面を使うにはサインインしてください。").wait_for()
    phone.sign_in("gate@example.jp")
    page.get_by_role("heading", name="設定", level=1).wait_for()
    assert page.url.endswith("#/settings")
    page.wait_for_function("() => navigator.storage.persisted !== undefined")
    assert phone.stored("device")["persistRequested"] is True  # navigator.storage.persist() asked


def test_a_401_pauses_the_queue_and_another_user_never_sends_it(phone: Phone, site: Site) -> None:
    site.open_drill()
    site.register("second@example.jp", "別の 利用者")
    page = phone.page
    phone.open()
    phone.register("first@example.jp", "最初の 利用者")
    page.locator(".incident").wait_for()
    phone.offline()
    phone.check_in("無事です")
    shown(page, "1 件送信待ち").wait_for()
    site.graphql("Logout", token=phone.session()["token"])  # the token expires while offline

    phone.offline(False)
    shown(page, "もう一度サインインしてください。送信待ちの 1 件は消えずに残っています。").wait_for(timeout=15000)
    assert phone.pending() == "↑1 件送信待ち （サインインが必要）"
    assert _checkins_by(site, "first@example.jp") == []

    page.goto("/#/signin")
    phone.sign_in("second@example.jp")
    shown(page, "サインインしていない利用者の送信待ちが 1 件あります").wait_for()
    assert phone.pending() == "✓すべて送信済み"
    page.wait_for_timeout(1000)  # the second user's sync has run by now
    assert _checkins_by(site, "first@example.jp") == []
    assert _checkins_by(site, "second@example.jp") == []

    page.goto("/#/settings")
    page.get_by_role("button", name="サインアウト").click()
    page.get_by_role("heading", name="サインイン", level=1).wait_for()
    phone.sign_in("first@example.jp")  # the same user again: the queue resumes
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    assert _checkins_by(site, "first@example.jp") == ["SAFE"]
    assert site.rows("SELECT count(*) FROM checkin") == [(1,)]
