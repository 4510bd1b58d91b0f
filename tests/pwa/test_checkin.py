"""The check-in screen: the shelter picker offers the nearest open shelters, and a check-in at a
shelter with needs and a comment reaches the server as the resident entered it."""

from __future__ import annotations

from collections.abc import Callable

from tests.pwa.site import PASSWORD, ROOT, Phone, Site, shown

SHELTERS = ROOT / "fixtures" / "demo" / "toshima_emergency_sites.gsi.csv"
NEAR_KOMAGOME = {"latitude": 35.7365, "longitude": 139.7425}  # beside 駒込中学校


def _open_shelter(site: Site, incident_id: str, name: str) -> str:
    site.otagai("user", "create", "--email", "admin@example.jp", "--password", PASSWORD,
                "--name", "防災課", "--role", "ward_admin")
    token, _ = site.login("admin@example.jp")
    edges = site.graphql("Shelters", {"first": 100}, token)["shelters"]["edges"]
    shelter_id = next(e["node"]["id"] for e in edges if e["node"]["name"] == name)
    site.graphql("SetShelterOpen", {"shelterId": shelter_id, "incidentId": incident_id, "open": True}, token)
    return str(shelter_id)


def test_a_check_in_at_the_nearest_open_shelter_carries_needs_and_comment(
    phones: Callable[..., Phone], site: Site
) -> None:
    incident = site.open_drill()
    site.otagai("shelters", "import", str(SHELTERS))
    opened = _open_shelter(site, incident, "駒込中学校")
    phone = phones(geolocation=NEAR_KOMAGOME, permissions=["geolocation"])
    page = phone.page
    phone.open()
    phone.register("shelter@example.jp", "避難 する人")
    page.locator(".incident").wait_for()

    page.get_by_role("button", name="避難所にいます").click()
    choices = page.locator(".shelter-list label")
    choices.first.wait_for()
    assert choices.count() == 1  # open shelters only, until the resident asks for all
    assert "駒込中学校" in choices.first.inner_text() and "開設中" in choices.first.inner_text()
    page.get_by_label("開設されていない避難所・避難場所も表示する").check()
    page.get_by_role("button", name="現在地から近い順に並べる").click()
    shown(page, "近い順に並んでいます。").wait_for()
    assert choices.count() > 1
    assert "駒込中学校" in choices.first.inner_text() and "約" in choices.first.inner_text()

    choices.first.click()
    page.get_by_label("水", exact=True).check()
    page.get_by_label("ひとこと（100文字まで）").fill("体育館の2階にいます")
    shown(page, "あと 90 文字").wait_for()  # the counter follows what was typed
    phone.offline()
    page.get_by_role("button", name="安否を送る").click()
    shown(page, "1 件送信待ち").wait_for()
    phone.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)

    token, user_id = site.login("shelter@example.jp")
    [checkin] = [c["data"] for c in site.pulled(token) if c["entityType"] == "CheckIn"]
    assert checkin["subjectId"] == user_id and checkin["condition"] == "SAFE"
    assert (checkin["place"], checkin["shelterId"]) == ("SHELTER", opened)
    assert (checkin["needs"], checkin["comment"]) == (["WATER"], "体育館の2階にいます")


def test_the_check_in_screen_asks_for_a_status_before_sending(phone: Phone, site: Site) -> None:
    site.open_drill()
    page = phone.page
    phone.open()
    phone.register("empty@example.jp", "空 送信")
    page.locator(".incident").wait_for()
    page.get_by_role("button", name="安否を送る").click()
    page.get_by_role("alert").get_by_text("4つのボタンから、少なくとも1つを選んでください。").wait_for()
    assert phone.pending() == "✓すべて送信済み"
