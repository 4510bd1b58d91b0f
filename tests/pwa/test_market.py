"""The help-each-other marketplace: an offer made offline reaches the server once and appears
near me; a claim made offline that someone else won first comes back in "needs attention"
with the server's message; distances are shown as the server rounds them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.pwa.site import Phone, Site, shown

HERE = {"latitude": 35.7295, "longitude": 139.7109}  # by Ikebukuro station
NEARBY = {"lat": 35.7301, "lon": 139.7120}


def _phone_here(phones: Callable[..., Phone]) -> Phone:
    """A phone whose resident has allowed the app to use their position."""
    return phones(geolocation=HERE, permissions=["geolocation"])


def _on_market(phone: Phone, email: str, name: str) -> None:
    phone.open("#/signin")
    phone.register(email, name)
    phone.page.goto("/#/market")
    phone.page.get_by_role("heading", name="助け合い掲示板", level=1).wait_for()
    shown(phone.page, "いまいる場所の近くを表示しています。").wait_for(timeout=15000)
    shown(phone.page, "この一覧の更新").wait_for(timeout=15000)


def test_an_offer_created_offline_reaches_the_server_once_and_appears_in_the_marketplace(
    phones: Callable[..., Phone], site: Site
) -> None:
    phone = _phone_here(phones)
    page = phone.page
    _on_market(phone, "hanako@example.jp", "鈴木 花子")
    phone.wait_controlled()

    phone.offline()
    page.get_by_label("おすそわけ（手伝える・あげられる）").check()
    page.get_by_label("分類").select_option("WATER")
    page.get_by_label("何を（題名）").fill("2リットルの水")
    page.get_by_label("数（1〜999）").fill("3")
    page.get_by_role("button", name="おすそわけを出す").click()
    shown(page, "1 件送信待ち").wait_for()
    mine = page.locator("section[aria-labelledby=market-mine] .listing").filter(has_text="2リットルの水")
    assert "送信待ち" in mine.inner_text() and "残り 3 / 3" in mine.inner_text()

    phone.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    assert site.rows("SELECT title, kind, category, quantity FROM market_listing") == [("2リットルの水", "OFFER", "WATER", 3)]
    near = page.locator("section[aria-labelledby=market-near] .listing").filter(has_text="2リットルの水")
    near.wait_for(timeout=15000)
    assert "あなたの掲載です。" in near.inner_text()
    token, _ = site.login("hanako@example.jp")
    [node] = [e["node"] for e in site.graphql("Listings", {"near": {"lat": HERE["latitude"], "lon": HERE["longitude"]}}, token)["listings"]["edges"]]
    assert near.get_by_test_id("distance").inner_text() == f"約 {node['distanceMeters']:,.0f} m"
    page.wait_for_function("() => !document.querySelector('section[aria-labelledby=market-mine]').innerText.includes('送信待ち')")


def test_an_offline_claim_that_loses_shows_in_needs_attention_with_the_servers_message(
    phones: Callable[..., Phone], site: Site
) -> None:
    owner, _ = site.register("owner@example.jp", "田中 一郎")
    listing = str(uuid.uuid4())
    site.push(owner, ("createListing", {"id": listing, "kind": "OFFER", "category": "CHARGING",
                                        "title": "モバイルバッテリー", "quantity": 1, "location": NEARBY}))
    phone = _phone_here(phones)
    page = phone.page
    _on_market(phone, "hanako@example.jp", "鈴木 花子")
    item = page.locator("section[aria-labelledby=market-near] .listing").filter(has_text="モバイルバッテリー")
    assert "残り 1 / 1" in item.inner_text()

    phone.offline()
    item.get_by_role("button", name="これをもらう").click()
    shown(page, "1 件送信待ち").wait_for()
    assert "申し込み済み（送信待ち）" in item.inner_text()
    claims = page.locator("section[aria-labelledby=market-claims]")
    assert "モバイルバッテリー" in claims.inner_text() and "申し込み（送信待ち）" in claims.inner_text()

    other, _ = site.register("other@example.jp", "佐藤 健")  # claims first, online
    site.push(other, ("claimListing", {"id": str(uuid.uuid4()), "listingId": listing, "quantity": 1}))

    phone.offline(False)
    attention = page.locator(".attention")
    attention.wait_for(timeout=15000)
    text = attention.inner_text()
    assert "助け合いへの申し込み" in text
    assert "先に他の人が申し込んだため、受け付けられませんでした。" in text
    assert "Already claimed: all 1 are taken (0 left)" in text  # the server's own message
    assert site.rows("SELECT claimer_name FROM market_claim") == [("佐藤 健",)]
    shown(page, "すべて送信済み").wait_for()
    assert "申し込み（送信待ち）" not in claims.inner_text()


def _listing(site: Site, token: str, title: str, quantity: int = 1) -> str:
    listing = str(uuid.uuid4())
    site.push(token, ("createListing", {"id": listing, "kind": "OFFER", "category": "FOOD", "title": title,
                                        "quantity": quantity, "location": NEARBY}))
    return listing


def test_the_owner_edits_offline_confirms_the_hand_over_and_withdraws_another_listing(
    phones: Callable[..., Phone], site: Site
) -> None:
    phone = _phone_here(phones)
    page = phone.page
    _on_market(phone, "hanako@example.jp", "鈴木 花子")
    mine, _ = site.login("hanako@example.jp")
    rice = _listing(site, mine, "お米", quantity=5)
    _listing(site, mine, "毛布")
    other, _ = site.register("other@example.jp", "佐藤 健")
    claim = str(uuid.uuid4())
    site.push(other, ("claimListing", {"id": claim, "listingId": rice, "quantity": 2}))
    page.reload()  # pulls the listings and the claim
    section = page.locator("section[aria-labelledby=market-mine]")
    item = section.locator(".listing").filter(has_text="お米")
    item.get_by_text("佐藤 健 さんが 2 件申し込みました").wait_for(timeout=15000)
    phone.wait_controlled()

    # An edit made offline waits in the outbox and shows at once; the server merges it.
    phone.offline()
    item.get_by_role("button", name="編集する: お米").click()
    item.get_by_label("何を（題名）").fill("お米（5kg袋）")
    item.get_by_label("数（1〜999）").fill("1")
    item.get_by_role("button", name="変更を保存").click()
    shown(page, "すでに 2 件の申し込みがあるので、数はそれより少なくできません。").wait_for()
    item.get_by_label("数（1〜999）").fill("4")
    item.get_by_role("button", name="変更を保存").click()
    shown(page, "1 件送信待ち").wait_for()
    item = section.locator(".listing").filter(has_text="お米（5kg袋）")
    assert "残り 2 / 4" in item.inner_text() and "送信待ち" in item.inner_text()

    # Each side confirms the hand-over: handed over when both have.
    item.get_by_role("button", name="渡しました: お米（5kg袋） (佐藤 健)").click()
    shown(page, "2 件送信待ち").wait_for()
    phone.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    assert site.rows("SELECT title, quantity, quantity_left FROM market_listing WHERE id = ?", rice) == [("お米（5kg袋）", 4, 2)]
    assert site.rows("SELECT status, owner_confirmed, claimer_confirmed FROM market_claim") == [("CLAIMED", 1, 0)]
    item.get_by_text("あなたは受け渡しを確認しました。相手の確認を待っています。").wait_for(timeout=15000)
    site.push(other, ("confirmHandover", {"claimId": claim}))
    page.reload()
    section.locator(".listing").filter(has_text="お米（5kg袋）").get_by_text("受け渡しが済みました。").wait_for(timeout=15000)

    # Withdrawing asks first, then goes through the outbox.
    blanket = section.locator(".listing").filter(has_text="毛布")
    blanket.get_by_role("button", name="取り下げる: 毛布").click()
    blanket.get_by_text("「毛布」を取り下げますか？").wait_for()
    blanket.get_by_role("button", name="はい、取り下げる").click()
    site.rows_become([("WITHDRAWN",)], "SELECT status FROM market_listing WHERE title = '毛布'")
    page.wait_for_function("() => [...document.querySelectorAll('section[aria-labelledby=market-mine] .listing')]"
                           ".some((li) => li.innerText.includes('毛布') && li.innerText.includes('· 取り下げ'))")
    assert blanket.get_by_role("button", name="編集する: 毛布").count() == 0


def test_a_claimer_calls_a_claim_off_and_what_was_claimed_is_offered_again(
    phones: Callable[..., Phone], site: Site
) -> None:
    owner, _ = site.register("owner@example.jp", "田中 一郎")
    listing = _listing(site, owner, "乾電池", quantity=3)
    phone = _phone_here(phones)
    page = phone.page
    _on_market(phone, "hanako@example.jp", "鈴木 花子")
    page.locator("section[aria-labelledby=market-near] .listing").filter(has_text="乾電池").get_by_role(
        "button", name="これをもらう").click()
    site.rows_become([("CLAIMED",)], "SELECT status FROM market_claim")
    claims = page.locator("section[aria-labelledby=market-claims]")
    claims.get_by_role("button", name="受け取りました: 乾電池").wait_for(timeout=15000)
    claims.get_by_role("button", name="取り消す: 乾電池").click()
    site.rows_become([("CANCELLED",)], "SELECT status FROM market_claim")
    assert site.rows("SELECT quantity_left, status FROM market_listing WHERE id = ?", listing) == [(3, "OPEN")]
    claims.get_by_role("button", name="取り消す: 乾電池").wait_for(state="detached", timeout=15000)
    assert "取り消されました" in claims.inner_text()
