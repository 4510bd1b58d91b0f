"""Shelter reception: staff see counts, needs and who is here update live (over the
graphql-transport-ws subscription) when a resident checks in at their shelter, and check in
someone without a phone by name and birth year through the outbox."""

from __future__ import annotations

import uuid

from tests.pwa.site import ROOT, Phone, Site, shown

SHELTERS = ROOT / "fixtures" / "demo" / "toshima_emergency_sites.gsi.csv"


def _shelter(site: Site, name: str) -> str:
    site.otagai("shelters", "import", str(SHELTERS))
    edges = site.graphql("Shelters", {"first": 100}, site.admin())["shelters"]["edges"]
    return str(next(e["node"]["id"] for e in edges if e["node"]["name"] == name))


def test_shelter_staff_see_counts_update_live_when_a_resident_checks_in_there(phone: Phone, site: Site) -> None:
    incident = site.open_drill()
    shelter = _shelter(site, "駒込中学校")
    _, staff_id = site.register("staff@example.jp", "避難所 佐藤")
    site.grant(staff_id, "SHELTER_STAFF", shelter)
    resident, _ = site.register("resident@example.jp", "住民 花子")

    page = phone.page
    phone.open("#/signin")
    phone.sign_in("staff@example.jp")
    page.goto("/#/shelter")
    page.get_by_role("heading", name="避難所の受付", level=1).wait_for()
    shown(page, "駒込中学校").wait_for(timeout=15000)
    shown(page, "自動で更新しています（ライブ）").wait_for(timeout=15000)
    assert "避難している人 0 人" in page.get_by_test_id("occupancy").inner_text()

    site.push(resident, ("checkIn", {
        "id": str(uuid.uuid4()), "incidentId": incident, "condition": "SAFE", "place": "SHELTER",
        "shelterId": shelter, "needs": ["WATER"],
    }))
    # Live: well before the 10 s poll would have asked.
    page.get_by_test_id("counts").get_by_text("無事です").wait_for(timeout=5000)
    assert "避難している人 1 人" in page.get_by_test_id("occupancy").inner_text()
    assert "1 人" in page.get_by_test_id("counts").inner_text()
    assert "水" in page.locator(".tally").nth(1).inner_text()
    assert "住民 花子" in page.locator(".people").inner_text()

    # A full hall: 100 more checked in at reception. The list shows the first 100, the most
    # urgent first, and everyone when staff ask.
    staff, _ = site.login("staff@example.jp")
    for start in (0, 50):
        actions: list[tuple[str, dict[str, object]]] = []
        for i in range(start, start + 50):
            person = str(uuid.uuid4())
            actions += [("registerPerson", {"id": person, "displayName": f"受付 {i:03d}"}),
                        ("checkIn", {"id": str(uuid.uuid4()), "incidentId": incident, "subjectId": person,
                                     "condition": "NEED_HELP" if i == 99 else "SAFE", "place": "SHELTER",
                                     "shelterId": shelter})]
        site.push(staff, *actions)
    everyone = page.get_by_role("button", name="全員を表示（101 人）")
    everyone.wait_for(timeout=15000)
    names = page.locator(".people li .name")
    assert names.count() == 100 and names.first.inner_text() == "受付 099"  # needs help: first
    assert "受付 098" not in names.all_inner_texts()  # the last by name waits for "everyone"
    everyone.click()
    page.get_by_text("受付 098", exact=True).wait_for(timeout=15000)
    assert names.count() == 101 and everyone.count() == 0
    assert page.evaluate("() => document.activeElement.id") == "shelter-people"  # focus stays with the list


def test_staff_check_in_a_person_without_a_phone_at_reception(phone: Phone, site: Site) -> None:
    incident = site.open_drill()
    shelter = _shelter(site, "駒込中学校")
    _, staff_id = site.register("staff@example.jp", "避難所 佐藤")
    site.grant(staff_id, "SHELTER_STAFF", shelter)
    page = phone.page
    phone.open("#/signin")
    phone.sign_in("staff@example.jp")
    page.goto("/#/shelter")
    shown(page, "自動で更新しています（ライブ）").wait_for(timeout=15000)

    phone.offline()
    page.get_by_label("名前", exact=True).fill("田中 トメ")
    page.get_by_label("生まれた年（西暦・あれば）").fill("1940")
    page.get_by_label("被害があります").check()
    page.get_by_label("薬", exact=True).check()
    page.get_by_role("button", name="受付して安否を記録する").click()
    shown(page, "2 件送信待ち").wait_for()
    assert "田中 トメ" in page.locator(".people").first.inner_text()  # waiting to send, shown at once
    assert page.get_by_label("名前", exact=True).input_value() == ""  # ready for the next person

    phone.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    page.get_by_test_id("counts").get_by_text("被害があります").wait_for(timeout=15000)
    assert "アカウントなし" in page.locator(".people").filter(has_text="田中 トメ").inner_text()
    token, _ = site.login("staff@example.jp")
    status = site.graphql("ShelterStatus", {"shelterId": shelter, "incidentId": incident}, token)["shelterStatus"]
    assert [(p["displayName"], p["condition"], p["needs"], p["hasAccount"]) for p in status["people"]] == [
        ("田中 トメ", "NEED_HELP", ["MEDICATION"], False)]
    assert site.rows("SELECT count(*) FROM checkin") == [(1,)]


def test_staff_screen_falls_back_to_polling_when_the_socket_is_refused(phone: Phone, site: Site) -> None:
    incident = site.open_drill()
    shelter = _shelter(site, "駒込中学校")
    _, staff_id = site.register("staff@example.jp", "避難所 佐藤")
    site.grant(staff_id, "SHELTER_STAFF", shelter)
    resident, _ = site.register("resident@example.jp", "住民 花子")
    page = phone.page
    page.route_web_socket("**/graphql", lambda ws: ws.close(code=1011))  # e.g. a proxy without WebSocket
    phone.open("#/signin")
    phone.sign_in("staff@example.jp")
    page.goto("/#/shelter")
    shown(page, "10秒ごとに更新しています").wait_for(timeout=15000)

    site.push(resident, ("checkIn", {
        "id": str(uuid.uuid4()), "incidentId": incident, "condition": "NEED_HELP", "place": "SHELTER",
        "shelterId": shelter,
    }))
    page.get_by_test_id("counts").get_by_text("被害があります").wait_for(timeout=15000)
    assert "避難している人 1 人" in page.get_by_test_id("occupancy").inner_text()
