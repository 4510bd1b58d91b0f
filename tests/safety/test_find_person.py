"""findPerson: public name search during an incident (like the carriers' 災害用伝言板) — only
people who turned public search on, status only, names matched the way people type them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.accounts.roles import Role
from backend.api.schema import build_schema
from backend.core.actions import Registry
from tests.conftest import Api
from tests.safety.community import (
    act,
    applied,
    audit_rows,
    check_in,
    grant,
    new_shelter,
    open_incident,
    register_person,
    set_consent,
)
from tests.support.client import OutboxClient


async def find(
    api: Api, incident: str, name: str, phone: str | None = None, token: str | None = None
) -> list[Any]:
    data = await api.gql.data(
        "FindPerson", {"incidentId": incident, "name": name, "phone": phone}, token
    )
    return list(data["findPerson"])


async def names_found(api: Api, incident: str, name: str, phone: str | None = None) -> list[str]:
    return [f["displayName"] for f in await find(api, incident, name, phone)]


class Reception:
    """Shelter staff registering arrivals who agreed, at the desk, to be findable by name."""

    def __init__(self, api: Api, incident: str, shelter: str, staff: OutboxClient) -> None:
        self.api, self.incident, self.shelter, self.staff = api, incident, shelter, staff

    async def arrives(self, name: str, *, findable: bool = True, **fields: Any) -> str:
        person = await register_person(self.staff, name, **fields)
        applied(
            await check_in(
                self.staff,
                self.incident,
                "SAFE",
                subjectId=person,
                place="SHELTER",
                shelterId=self.shelter,
            )
        )
        if findable:
            await set_consent(self.api, person, public_search=True)
        return person


async def reception(api: Api) -> Reception:
    incident = await open_incident(api)
    shelter = await new_shelter(api)
    staff = await api.device("reception@example.jp", "避難所 受付")
    await grant(api, staff.user_id, Role.SHELTER_STAFF, shelter)
    return Reception(api, incident, shelter, staff)


async def test_nobody_is_found_until_they_turn_public_search_on(api: Api) -> None:
    incident = await open_incident(api)
    hanako = await api.device("hanako@example.jp", "鈴木 花子")
    searcher = await api.device("cousin@example.jp", "従兄弟")
    applied(
        await check_in(
            hanako,
            incident,
            "NEED_HELP",
            place="HOME",
            needs=["WATER"],
            comment="水がありません",
            location={"lat": 35.6812, "lon": 139.7671},
        )
    )

    assert await find(api, incident, "鈴木 花子", token=searcher.token) == []

    applied(await act(hanako, "setSafetyVisibility", {"publicSearch": True}))

    [found] = await find(api, incident, "鈴木 花子", token=searcher.token)
    assert set(found) == {"displayName", "condition", "place", "reportedAt"}  # status only
    assert (found["displayName"], found["condition"], found["place"]) == (
        "鈴木 花子",
        "NEED_HELP",
        "HOME",
    )
    assert datetime.fromisoformat(found["reportedAt"])
    assert [f["displayName"] for f in await find(api, incident, "鈴木 花子")] == [
        "鈴木 花子"
    ]  # signed out too
    searches = await audit_rows(api, "safety.read.find")
    assert [(r.actor_id, r.detail) for r in searches] == [
        (searcher.user_id, {"results": 0}),
        (searcher.user_id, {"results": 1}),
        (None, {"results": 1}),
    ]


def test_a_found_person_carries_no_needs_comment_or_location(registry: Registry) -> None:
    schema = build_schema(registry)
    found_person = schema._schema.get_type("FoundPerson")

    assert set(found_person.fields) == {"displayName", "condition", "place", "reportedAt"}  # type: ignore[union-attr]


async def test_a_kana_reading_finds_a_person_registered_in_kanji(api: Api) -> None:
    desk = await reception(api)
    await desk.arrives("鈴木 花子", nameKana="スズキ ハナコ")

    for typed in (
        "すずき はなこ",
        "スズキハナコ",
        "ｽｽﾞｷ ﾊﾅｺ",
        "はなこ　すずき",
        "鈴木花子",
        "花子 鈴木",
    ):
        assert await names_found(api, desk.incident, typed) == ["鈴木 花子"], typed


async def test_a_latin_name_is_found_in_either_order_case_and_width(api: Api) -> None:
    desk = await reception(api)
    await desk.arrives("Hanako Suzuki")

    for typed in ("Suzuki Hanako", "hanako suzuki", "ＳＵＺＵＫＩ　ＨＡＮＡＫＯ", "SUZUKI, Hanako"):
        assert await names_found(api, desk.incident, typed) == ["Hanako Suzuki"], typed


async def test_half_width_katakana_finds_a_name_written_in_full_width(api: Api) -> None:
    desk = await reception(api)
    await desk.arrives("スズキ ハナコ")

    assert await names_found(api, desk.incident, "ｽｽﾞｷ ﾊﾅｺ") == ["スズキ ハナコ"]
    assert await names_found(api, desk.incident, "すずき　はなこ") == ["スズキ ハナコ"]


async def test_variant_kanji_match_their_everyday_form(api: Api) -> None:
    desk = await reception(api)
    await desk.arrives("髙橋 一郎")
    await desk.arrives("渡辺 ハル")

    assert await names_found(api, desk.incident, "高橋 一郎") == ["髙橋 一郎"]
    assert await names_found(api, desk.incident, "髙橋一郎") == ["髙橋 一郎"]
    assert await names_found(api, desk.incident, "渡邊 ハル") == ["渡辺 ハル"]


async def test_a_phone_number_tells_namesakes_apart(api: Api) -> None:
    desk = await reception(api)
    await desk.arrives("佐藤 健", phone="090-1111-2222", birthYear=1980)
    await desk.arrives("佐藤 健", phone="080-3333-4444", birthYear=1945)

    assert await names_found(api, desk.incident, "佐藤 健") == ["佐藤 健", "佐藤 健"]
    assert await names_found(api, desk.incident, "佐藤 健", "08033334444") == ["佐藤 健"]
    assert await names_found(api, desk.incident, "佐藤 健", "+81 80-3333-4444") == ["佐藤 健"]
    assert await names_found(api, desk.incident, "佐藤 健", "03-5555-6666") == []


async def test_people_without_consent_or_without_a_status_in_this_incident_are_not_found(
    api: Api,
) -> None:
    desk = await reception(api)
    await desk.arrives("山本 正", findable=False)
    other_incident = await open_incident(api, name="大雨")
    elsewhere = await register_person(desk.staff, "山本 花")
    applied(
        await check_in(
            desk.staff,
            other_incident,
            "SAFE",
            subjectId=elsewhere,
            place="SHELTER",
            shelterId=desk.shelter,
        )
    )
    await set_consent(api, elsewhere, public_search=True)

    assert await names_found(api, desk.incident, "山本 正") == []
    assert await names_found(api, desk.incident, "山本 花") == []
    assert await names_found(api, other_incident, "山本 花") == ["山本 花"]


async def test_a_search_needs_two_characters_and_a_known_incident(api: Api) -> None:
    incident = await open_incident(api)

    short = await api.gql.execute("FindPerson", {"incidentId": incident, "name": " 鈴 "})
    unknown = await api.gql.execute(
        "FindPerson", {"incidentId": "00000000-0000-4000-8000-000000000000", "name": "鈴木"}
    )

    assert [e["extensions"]["code"] for e in short.body["errors"]] == ["VALIDATION"]
    assert [e["extensions"]["code"] for e in unknown.body["errors"]] == ["NOT_FOUND"]
