"""PFIF 1.4 export of an incident: structure, status mapping, consent and what is withheld."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from sqlmodel import col

from backend.accounts.models import AuditEntry
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.identity import Identity
from backend.safety import pfif
from tests.conftest import Api
from tests.safety.export_scenario import (
    ADMIN,
    check_in,
    open_incident,
    otagai,
    registered_person,
    resident,
    shelter,
)
from tests.support.databases import KINDS

PFIF_NS = "http://zesty.ca/pfif/1.4"
# The xs:sequence orders of PFIF 1.4 (http://zesty.ca/pfif/1.4/), written out independently.
PERSON_ORDER = [
    "person_record_id", "entry_date", "expiry_date", "author_name", "author_email", "author_phone",
    "source_name", "source_date", "source_url", "full_name", "given_name", "family_name",
    "alternate_names", "description", "sex", "date_of_birth", "age", "home_street",
    "home_neighborhood", "home_city", "home_state", "home_postal_code", "home_country", "photo_url",
    "profile_urls",
]
NOTE_ORDER = [
    "note_record_id", "person_record_id", "linked_person_record_id", "entry_date", "author_name",
    "author_email", "author_phone", "source_date", "author_made_contact", "status",
    "email_of_found_person", "phone_of_found_person", "last_known_location", "text", "photo_url",
]
SENSITIVE = {"date_of_birth", "age", "author_email", "author_phone", "email_of_found_person",
             "phone_of_found_person"}
UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DOMAIN = pfif.DEFAULT_DOMAIN


def local(tag: str) -> str:
    namespace, _, name = tag[1:].partition("}")
    assert namespace == PFIF_NS, tag
    return name


def field(element: ET.Element, name: str) -> str | None:
    found = element.find(f"{{{PFIF_NS}}}{name}")
    return None if found is None else found.text


def notes(person: ET.Element) -> list[ET.Element]:
    return person.findall(f"{{{PFIF_NS}}}note")


def by_name(document: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(document)
    assert root.tag == f"{{{PFIF_NS}}}pfif"
    return {field(p, "full_name") or "": p for p in root.findall(f"{{{PFIF_NS}}}person")}


async def export(api: Api, incident_id: str, actor: Identity | None = None) -> bytes:
    async with api.parts.db.unit_of_work() as uow:
        document = await pfif.export_pfif(uow.session, incident_id=incident_id, actor=actor)
        await uow.commit()
    return document


def assert_in_schema_order(names: list[str], order: list[str]) -> None:
    positions = [order.index(name) for name in names]
    assert positions == sorted(positions) and len(set(positions)) == len(positions), names


async def test_the_export_is_pfif_1_4_with_mandatory_fields_and_notes_in_schema_order(api: Api) -> None:
    incident_id = await open_incident(api)
    _, hanako = await resident(api, "鈴木 花子", public_search=True)
    grandpa = await registered_person(api, "鈴木 一郎", created_by=hanako, public_search=True)
    await check_in(api, incident_id=incident_id, subject_id=hanako, condition="SAFE", place="HOME")
    await check_in(api, incident_id=incident_id, subject_id=grandpa, reporter_id=hanako,
                   role="HOUSEHOLD", condition="NEED_HELP", place="HOME", minutes=5)
    await check_in(api, incident_id=incident_id, subject_id=hanako, condition="SAFE",
                   place="ELSEWHERE", minutes=30)

    document = await export(api, incident_id)

    assert document.startswith(b"<?xml")
    people = by_name(document)
    assert set(people) == {"鈴木 花子", "鈴木 一郎"}
    for person_id, name, count in ((hanako, "鈴木 花子", 2), (grandpa, "鈴木 一郎", 1)):
        person = people[name]
        tags = [local(child.tag) for child in person]
        fields = [t for t in tags if t != "note"]
        assert tags == fields + ["note"] * count  # the person's fields first, then its notes
        assert_in_schema_order(fields, PERSON_ORDER)
        assert field(person, "person_record_id") == f"{DOMAIN}/{person_id}"
        assert UTC_STAMP.match(field(person, "source_date") or "")
        assert UTC_STAMP.match(field(person, "entry_date") or "")
        assert field(person, "source_name") == "Otagai: 首都直下地震"
        stamps = []
        for note in notes(person):
            assert_in_schema_order([local(child.tag) for child in note], NOTE_ORDER)
            assert field(note, "person_record_id") == f"{DOMAIN}/{person_id}"
            assert (field(note, "note_record_id") or "").startswith(f"{DOMAIN}/")
            assert field(note, "author_name")
            stamps.append(field(note, "source_date") or "")
            assert UTC_STAMP.match(stamps[-1]) and UTC_STAMP.match(field(note, "entry_date") or "")
        assert stamps == sorted(stamps)
    assert [field(n, "source_date") for n in notes(people["鈴木 花子"])] == [
        "2025-09-01T03:00:00Z", "2025-09-01T03:30:00Z",
    ]
    assert field(notes(people["鈴木 一郎"])[0], "author_name") == "鈴木 花子"


async def test_each_report_maps_to_the_pfif_status_of_its_condition_and_reporter(api: Api) -> None:
    incident_id = await open_incident(api)
    _, staff = await resident(api, "避難所 職員")
    cases = {
        "本人が無事": ("SELF", "SAFE", "is_note_author", "true", "無事です"),
        "家族が無事と報告": ("HOUSEHOLD", "SAFE", "believed_alive", "true", "無事です"),
        "本人が被害": ("SELF", "NEED_HELP", "believed_alive", "true", "被害があります"),
        "班長がけがと報告": ("LEADER", "INJURED", "believed_alive", "true", "けがをしています"),
        "家族が不明と報告": ("HOUSEHOLD", "MISSING", "believed_missing", "false", "連絡がとれません"),
        "職員が死亡を記録": ("SHELTER_STAFF", "DECEASED", "believed_dead", "false", "死亡"),
    }
    for name, (role, condition, *_) in cases.items():
        person_id = await registered_person(api, name, created_by=staff, public_search=True)
        await check_in(api, incident_id=incident_id, subject_id=person_id, role=role,
                       condition=condition, reporter_id=person_id if role == "SELF" else staff)

    people = by_name(await export(api, incident_id))

    found = {}
    for name, person in people.items():
        (note,) = notes(person)
        text = field(note, "text") or ""
        found[name] = (field(note, "status"), field(note, "author_made_contact"), text.split("。")[0])
    assert found == {name: tuple(case[2:]) for name, case in cases.items()}


async def test_people_who_did_not_choose_public_search_are_left_out(api: Api) -> None:
    incident_id = await open_incident(api)
    other_incident = await open_incident(api, name="別の災害")
    _, leader = await resident(api, "班長")
    findable = await registered_person(api, "公開 さん", created_by=leader, public_search=True)
    declined = await registered_person(api, "非公開 さん", created_by=leader, public_search=False)
    never_asked = await registered_person(api, "未設定 さん", created_by=leader)
    elsewhere = await registered_person(api, "別件 さん", created_by=leader, public_search=True)
    for person_id in (findable, declined, never_asked):
        await check_in(api, incident_id=incident_id, subject_id=person_id, reporter_id=leader,
                       role="LEADER", condition="SAFE")
    await check_in(api, incident_id=other_incident, subject_id=elsewhere, reporter_id=leader,
                   role="LEADER", condition="SAFE")

    document = await export(api, incident_id)

    assert set(by_name(document)) == {"公開 さん"}
    for absent in (declined, never_asked, elsewhere):
        assert absent.encode() not in document


async def test_sensitive_fields_stay_out_even_when_the_person_has_them(api: Api) -> None:
    incident_id = await open_incident(api)
    _, son = await resident(api, "山田 太郎")
    mother = await registered_person(api, "山田 ハナ", created_by=son, public_search=True,
                                     birth_year=1948, phone="090-1234-5678", kana="ヤマダ ハナ")
    await check_in(api, incident_id=incident_id, subject_id=mother, reporter_id=son, role="HOUSEHOLD",
                   condition="NEED_HELP", place="ELSEWHERE", needs=["MEDICATION", "MOBILITY"],
                   exact=(35.712345, 139.765432))

    document = await export(api, incident_id)

    person = by_name(document)["山田 ハナ"]
    written = {local(e.tag) for e in person.iter()}
    assert written & SENSITIVE == set()
    assert "last_known_location" not in written  # not at a shelter: no place at all
    for secret in (b"09012345678", b"1234-5678", b"1948", b"35.71", b"139.76", b"MEDICATION", b"MOBILITY"):
        assert secret not in document, secret
    assert field(person, "alternate_names") == "やまだはな"  # the reading helps namesakes apart


async def test_names_and_comments_with_markup_characters_come_back_unchanged(api: Api) -> None:
    incident_id = await open_incident(api)
    name = '<佐藤 & "花子"> \'O\'Brien\''
    comment = "]]> <b>help</b> & 'ok' \"now\"\x07"
    _, person_id = await resident(api, name, public_search=True)
    await check_in(api, incident_id=incident_id, subject_id=person_id, condition="SAFE",
                   place="HOME", comment=comment)

    document = await export(api, incident_id)

    assert b"<b>" not in document and b"&lt;b&gt;" in document and b"\x07" not in document
    person = by_name(document)[name]
    (note,) = notes(person)
    assert field(note, "author_name") == name
    assert field(note, "text") == "無事です。自宅にいます。\n]]> <b>help</b> & 'ok' \"now\""


async def test_a_report_at_a_shelter_names_the_shelter_and_never_a_position(api: Api) -> None:
    incident_id = await open_incident(api)
    gym = await shelter(api, "第一小学校 <体育館>", common_id="E1310400001211", lat=35.701234, lon=139.701234)
    _, hanako = await resident(api, "花子", public_search=True)
    await check_in(api, incident_id=incident_id, subject_id=hanako, condition="SAFE", place="SHELTER",
                   shelter_id=gym, comment="体育館にいます", exact=(35.701299, 139.701299))

    document = await export(api, incident_id)

    (note,) = notes(by_name(document)["花子"])
    assert field(note, "last_known_location") == "第一小学校 <体育館>"
    assert field(note, "text") == "無事です。避難所にいます。\n体育館にいます"
    assert b"35.70" not in document and b"139.70" not in document


async def test_a_drill_is_labelled_in_the_source_and_in_every_note(api: Api) -> None:
    incident_id = await open_incident(api, name="総合防災訓練", drill=True)
    _, hanako = await resident(api, "花子", public_search=True)
    await check_in(api, incident_id=incident_id, subject_id=hanako, condition="SAFE", place="HOME")

    person = by_name(await export(api, incident_id))["花子"]

    assert field(person, "source_name") == "Otagai: 総合防災訓練（訓練）"
    assert (field(notes(person)[0], "text") or "").startswith("【訓練】無事です")


async def test_only_ward_admins_export_and_every_export_is_audited(api: Api) -> None:
    incident_id = await open_incident(api)
    _, hanako = await resident(api, "花子", public_search=True)
    await check_in(api, incident_id=incident_id, subject_id=hanako, condition="SAFE")
    someone = Identity(user_id=hanako, token_hash="", roles=frozenset({("LEADER", str(uuid.uuid4()))}))

    with pytest.raises(Forbidden):
        await export(api, incident_id, actor=someone)
    with pytest.raises(NotFound):
        await export(api, str(uuid.uuid4()), actor=ADMIN)
    with pytest.raises(NotFound):
        await export(api, "not-an-id")
    async with api.parts.db.unit_of_work() as uow:
        with pytest.raises(ValidationFailed):
            await pfif.export_pfif(uow.session, incident_id=incident_id, actor=None, domain="a/b")
    await export(api, incident_id, actor=ADMIN)
    await export(api, incident_id)

    async with api.parts.db.read_session() as session:
        entries = list(await session.scalars(
            sa.select(AuditEntry).where(col(AuditEntry.action) == "safety.export.pfif").order_by(col(AuditEntry.id))
        ))
    assert [(e.actor_id, e.subject_type, e.subject_id, e.detail) for e in entries] == [
        (ADMIN.user_id, "Incident", incident_id, {"persons": 1, "notes": 1, "domain": DOMAIN}),
        (None, "Incident", incident_id, {"persons": 1, "notes": 1, "domain": DOMAIN}),
    ]


async def test_reports_pushed_by_the_app_are_exported(api: Api) -> None:
    incident_id = await open_incident(api)
    hanako = await api.device("hanako@example.jp", "鈴木 花子")
    taro = await api.device("taro@example.jp", "田中 太郎")
    hanako.enqueue("setSafetyVisibility", {"publicSearch": True})
    for device in (hanako, taro):
        device.enqueue("checkIn", {"id": str(uuid.uuid4()), "incidentId": incident_id, "condition": "SAFE",
                                   "place": "HOME", "comment": "家族全員無事"})
        await device.drain()
        assert [r["status"] for r in device.results.values()] == ["APPLIED"] * len(device.results)

    people = by_name(await export(api, incident_id))

    assert set(people) == {"鈴木 花子"}
    (note,) = notes(people["鈴木 花子"])
    assert (field(note, "status"), field(note, "author_name"), field(note, "text")) == (
        "is_note_author", "鈴木 花子", "無事です。自宅にいます。\n家族全員無事",
    )


async def test_otagai_export_pfif_writes_the_document_to_stdout(api: Api, db_url: str) -> None:
    incident_id = await open_incident(api)
    _, hanako = await resident(api, "花子", public_search=True)
    await check_in(api, incident_id=incident_id, subject_id=hanako, condition="SAFE")

    result = otagai(db_url, "export", "pfif", "--incident", incident_id, "--domain", "bousai.example.jp")

    assert result.returncode == 0, result.stderr
    person = by_name(result.stdout)["花子"]
    assert field(person, "person_record_id") == f"bousai.example.jp/{hanako}"


@pytest.mark.parametrize("db_kind", KINDS[:1], indirect=True)  # refused before anything is read
@pytest.mark.parametrize("args", [
    ["--incident", str(uuid.UUID(int=7))], ["--incident", "nonsense"], [],
    ["--incident", str(uuid.UUID(int=7)), "--domain", "no/slashes"],
])
async def test_otagai_export_pfif_refuses_bad_input_in_one_line_with_status_2(
    api: Api, db_url: str, args: list[str]
) -> None:
    result = otagai(db_url, "export", "pfif", *args)

    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("otagai: error: "), lines
