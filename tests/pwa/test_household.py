"""The household screen: a resident adds a family member who has no phone and tells their
safety for them — offline, then sent once — and the screen is reached from check-in."""

from __future__ import annotations

from typing import Any

from tests.pwa.site import Phone, Site, shown


def _join_association(site: Site, email: str) -> str:
    """A leader's invite, used by the resident (they get a one-person household)."""
    association = site.otagai("association", "create", "--name", "本町一丁目町会")
    leader_token, leader_id = site.register("kaicho@example.jp", "会長 山本")
    site.grant(leader_id, "LEADER", association)
    code = site.graphql("CreateInvite", {"associationId": association}, leader_token)["createInvite"]["code"]
    token, _ = site.login(email)
    joined = site.graphql("JoinAssociation", {"code": code}, token)["joinAssociation"]
    assert joined["__typename"] == "Membership", joined
    return association


def _entities(site: Site, email: str, kind: str) -> list[dict[str, Any]]:
    token, _ = site.login(email)
    return [c["data"] for c in site.pulled(token) if c["entityType"] == kind]


def test_a_resident_adds_a_household_member_offline_and_checks_in_for_them(phone: Phone, site: Site) -> None:
    incident = site.open_drill()
    page = phone.page
    phone.open()
    phone.register("hanako@example.jp", "鈴木 花子")
    _join_association(site, "hanako@example.jp")

    page.get_by_role("link", name="家族・同居の人の安否を伝える").click()
    page.get_by_role("heading", name="世帯（家族・同居の人）", level=1).wait_for()
    page.reload()  # starts a sync: the new household arrives by pull
    page.get_by_role("heading", name="鈴木 花子", level=2).wait_for(timeout=15000)

    phone.offline()
    page.get_by_label("名前", exact=True).fill("鈴木 ウメ")
    page.get_by_label("生まれた年（西暦・あれば）").fill("1936")
    page.get_by_role("button", name="家族を追加する").click()
    shown(page, "1 件送信待ち").wait_for()
    grandmother = page.locator(".member").filter(has_text="鈴木 ウメ")
    assert "登録は送信待ち" in grandmother.inner_text() and "1936 年生まれ" in grandmother.inner_text()
    grandmother.get_by_role("button", name="無事です").click()
    shown(page, "2 件送信待ち").wait_for()
    assert "送信待ち" in grandmother.locator(".answer").inner_text()

    phone.offline(False)
    shown(page, "すべて送信済み").wait_for(timeout=15000)
    [person] = [p for p in _entities(site, "hanako@example.jp", "Person") if p["displayName"] == "鈴木 ウメ"]
    assert (person["birthYear"], person["hasAccount"]) == (1936, False)
    checkins = _entities(site, "hanako@example.jp", "CheckIn")
    assert [(c["subjectId"], c["condition"], c["incidentId"]) for c in checkins] == [(person["id"], "SAFE", incident)]
    assert site.rows("SELECT count(*) FROM checkin") == [(1,)]
    assert "登録は送信待ち" not in grandmother.inner_text()  # the pulled household lists her now


def test_a_resident_outside_any_association_is_told_how_to_get_a_household(phone: Phone, site: Site) -> None:
    page = phone.page
    phone.open("#/signin")
    phone.register("alone@example.jp", "ひとり 太郎")
    page.goto("/#/household")
    page.get_by_role("heading", name="まだ世帯に入っていません").wait_for()
    shown(page, "町会・自治会に参加すると、世帯ができます。").wait_for()
