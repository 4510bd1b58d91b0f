"""The leader's roll-call: households that have not answered come first as a door-knock list;
an in-person check recorded offline reaches the server exactly once when back online, and a
resident without the role is told politely that the screen is not theirs — with no data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tests.pwa.site import Phone, Site, shown


@dataclass
class Street:
    incident_id: str
    association_id: str
    people: dict[str, str]  # name -> person id


def _street(site: Site) -> Street:
    """Three households recorded by the leader, one of which has already answered."""
    incident = site.open_drill()
    association = site.otagai("association", "create", "--name", "本町一丁目町会")
    token, leader_id = site.register("kaicho@example.jp", "会長 山本")
    site.grant(leader_id, "LEADER", association)
    people: dict[str, str] = {}
    for label, address, members in [
        ("高橋家", "本町1-4-1", ["高橋 三郎"]),
        ("鈴木家", "本町1-1-1", ["鈴木 一郎", "鈴木 ウメ"]),
        ("佐藤家", "本町1-2-1", ["佐藤 花子", "佐藤 健"]),
    ]:
        home = str(uuid.uuid4())
        actions = [("createHousehold", {"id": home, "associationId": association, "label": label, "address": address})]
        for name in members:
            people[name] = str(uuid.uuid4())
            actions.append(("registerPerson", {"id": people[name], "displayName": name, "householdId": home}))
        site.push(token, *actions)
    site.push(token, ("checkIn", {"id": str(uuid.uuid4()), "incidentId": incident, "condition": "NEED_HELP",
                                  "subjectId": people["鈴木 一郎"]}))
    return Street(incident, association, people)


def _order(phone: Phone) -> list[str]:
    return [str(t) for t in phone.page.locator(".doorknock h3").all_inner_texts()]


def test_a_leader_sees_unanswered_households_first_and_records_a_visit_offline_sent_once(
    phone: Phone, site: Site
) -> None:
    street = _street(site)
    page = phone.page
    phone.open("#/signin")
    phone.sign_in("kaicho@example.jp")
    phone.wait_controlled()
    page.goto("/#/rollcall")
    page.get_by_role("heading", name="点呼（町会）", level=1).wait_for()
    shown(page, "未回答 2 世帯（全 3 世帯）").wait_for(timeout=15000)
    assert _order(phone) == ["佐藤家", "高橋家", "鈴木家"]  # unanswered first, then street order
    suzuki = page.locator(".household-row").filter(has_text="鈴木家")
    assert "回答あり" in suzuki.inner_text() and "被害があります" in suzuki.inner_text()
    sato = page.locator(".household-row").filter(has_text="佐藤家")
    sato.get_by_role("button", name="無事です").wait_for(timeout=15000)  # its members arrived by pull

    phone.offline()
    page.reload()  # the list renders offline from the last answer kept on the phone
    shown(page, "未回答 2 世帯（全 3 世帯）").wait_for()
    assert "この一覧の更新" in page.locator("main").inner_text()
    assert _order(phone) == ["佐藤家", "高橋家", "鈴木家"]
    sato.get_by_role("button", name="無事です").click()
    shown(page, "2 件送信待ち").wait_for()  # one in-person check for each member
    shown(page, "未回答 1 世帯（全 3 世帯）").wait_for()
    assert "記録済み（送信待ち）" in sato.inner_text()
    assert _order(phone) == ["高橋家", "鈴木家", "佐藤家"]  # answered ones follow in street order

    phone.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    token, leader_id = site.login("kaicho@example.jp")
    visits = [c["data"] for c in site.pulled(token) if c["entityType"] == "CheckIn"
              and c["data"]["subjectId"] in (street.people["佐藤 花子"], street.people["佐藤 健"])]
    assert sorted((v["subjectId"], v["condition"], v["place"], v["reporterId"]) for v in visits) == sorted(
        (street.people[name], "SAFE", "HOME", leader_id) for name in ("佐藤 花子", "佐藤 健"))
    roll = site.graphql("RollCall", {"associationId": street.association_id, "incidentId": street.incident_id},
                        token)["rollCall"]
    assert roll["unansweredCount"] == 1
    assert {h["label"]: (h["answered"], h["latestCondition"]) for h in roll["households"]}["佐藤家"] == (True, "SAFE")
    page.wait_for_function("() => !document.querySelector('main').innerText.includes('送信待ち）')")
    assert "回答あり" in sato.inner_text()


def test_a_resident_without_the_role_is_told_politely_and_sees_no_data(phone: Phone, site: Site) -> None:
    _street(site)
    page = phone.page
    phone.open("#/signin")
    phone.register("resident@example.jp", "住民 一郎")
    for route, message in [
        ("rollcall", "点呼は町会・自治会の役員（会長・班長）のための画面です。"),
        ("shelter", "避難所の受付は、その避難所の運営スタッフのための画面です。"),
    ]:
        page.goto(f"/#/{route}")
        page.get_by_role("heading", name="この画面は使えません").wait_for()
        shown(page, message).wait_for()
        assert page.locator(".doorknock, .tally, .people, form").count() == 0
    assert "高橋家" not in page.content()
