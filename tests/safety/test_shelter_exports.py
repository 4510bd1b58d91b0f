"""Shelter status exports: CSV for Excel and GeoJSON, keyed by the national common ID."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from shapely.geometry import Point, shape

from backend.core.errors import Forbidden, NotFound
from backend.core.identity import Identity
from backend.safety import exports
from tests.conftest import Api
from tests.safety.export_scenario import (
    ADMIN,
    check_in,
    open_incident,
    otagai,
    registered_person,
    resident,
    set_open,
    shelter,
)
from tests.support.databases import KINDS

BOM = b"\xef\xbb\xbf"
HEADER = [
    "キー (key)", "共通ID (commonId)", "名称 (name)", "種別 (kind)", "福祉避難所 (welfare)",
    "開設状況 (status)", "開設日時 (openedAt)", "閉鎖日時 (closedAt)", "収容人数 (capacity)",
    "避難者数 (evacuees)", "混雑 (crowding)", "緯度 (lat)", "経度 (lon)",
]


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(BOM)
    reader = csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline=""))
    header, *rows = list(reader)
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


async def ward_scenario(api: Api) -> str:
    """Four sites in one incident: roomy and open, crowded and closed, full with no opening
    recorded, and a never-opened site without a common ID or capacity."""
    incident_id = await open_incident(api)
    _, staff = await resident(api, "避難所 職員")
    roomy = await shelter(api, "第一小学校", common_id="E1310400001211", capacity=10, lat=35.70, lon=139.70)
    crowded = await shelter(api, "区民センター", common_id="E1310400002211", capacity=5, lat=35.71, lon=139.71,
                            welfare=True)
    full = await shelter(api, "公園", common_id="E1310400003121", capacity=2, lat=35.72, lon=139.72,
                         kind="EVACUATION_SITE")
    await shelter(api, "旧校舎", capacity=None, lat=35.73, lon=139.73)
    await set_open(api, roomy, incident_id)
    await set_open(api, crowded, incident_id)
    await set_open(api, crowded, incident_id, is_open=False)
    for site, people in ((roomy, 2), (crowded, 4), (full, 2)):
        for n in range(people):
            person = await registered_person(api, f"避難者{n}", created_by=staff)
            await check_in(api, incident_id=incident_id, subject_id=person, reporter_id=staff,
                           role="SHELTER_STAFF", condition="SAFE", place="SHELTER", shelter_id=site)
    went_home = await registered_person(api, "帰宅した人", created_by=staff)
    await check_in(api, incident_id=incident_id, subject_id=went_home, reporter_id=staff,
                   role="SHELTER_STAFF", condition="SAFE", place="SHELTER", shelter_id=roomy)
    await check_in(api, incident_id=incident_id, subject_id=went_home, reporter_id=staff,
                   role="SHELTER_STAFF", condition="SAFE", place="HOME", minutes=10)
    return incident_id


async def rows_of(api: Api, incident_id: str, actor: Identity | None = ADMIN) -> list[exports.ShelterStatusRow]:
    async with api.parts.db.read_session() as session:
        _, rows = await exports.shelter_status_rows(session, incident_id=incident_id, actor=actor)
    return rows


async def test_the_csv_has_a_bom_and_each_sites_status_headcount_and_crowding(api: Api) -> None:
    incident_id = await ward_scenario(api)

    data = exports.to_csv(await rows_of(api, incident_id))

    rows = csv_rows(data)
    summary = [
        (r["キー (key)"], r["共通ID (commonId)"], r["名称 (name)"], r["開設状況 (status)"],
         r["収容人数 (capacity)"], r["避難者数 (evacuees)"], r["混雑 (crowding)"])
        for r in rows
    ]
    derived = rows[0]["キー (key)"]  # derived keys (D…) sort before common IDs (E…)
    assert derived.startswith("D13104-")
    assert summary == [
        (derived, "", "旧校舎", "未開設", "", "0", "不明"),
        ("E1310400001211", "E1310400001211", "第一小学校", "開設", "10", "2", "空き"),
        ("E1310400002211", "E1310400002211", "区民センター", "閉鎖", "5", "4", "混雑"),
        ("E1310400003121", "E1310400003121", "公園", "不明", "2", "2", "満員"),
    ]
    roomy, crowded, full = rows[1:]
    assert roomy["開設日時 (openedAt)"].endswith("+09:00") and roomy["閉鎖日時 (closedAt)"] == ""
    assert crowded["閉鎖日時 (closedAt)"].endswith("+09:00") and crowded["福祉避難所 (welfare)"] == "1"
    assert (full["種別 (kind)"], full["緯度 (lat)"], full["経度 (lon)"]) == (
        "指定緊急避難場所", "35.720000", "139.720000",
    )
    assert data.count(b"\r\n") == 5  # CRLF line ends, as Excel writes them


async def test_the_geojson_is_a_feature_collection_of_points_keyed_by_common_id(api: Api) -> None:
    incident_id = await ward_scenario(api)
    async with api.parts.db.read_session() as session:
        incident, rows = await exports.shelter_status_rows(
            session, incident_id=incident_id, actor=None
        )

    collection = json.loads(exports.to_geojson(rows, incident).decode("utf-8"))

    assert collection["type"] == "FeatureCollection"
    assert collection["incident"] == {"id": incident.id, "name": "首都直下地震", "isDrill": False}
    features = {f["id"]: f for f in collection["features"]}
    for feature in features.values():
        point = shape(feature["geometry"])
        assert isinstance(point, Point) and point.is_valid
        assert feature["type"] == "Feature"
    roomy = features["E1310400001211"]
    assert shape(roomy["geometry"]).coords[0] == (139.70, 35.70)  # longitude first
    assert {k: roomy["properties"][k] for k in
            ("commonId", "name", "status", "statusLabel", "capacity", "evacuees", "crowding", "crowdingLabel")} == {
        "commonId": "E1310400001211", "name": "第一小学校", "status": "OPEN", "statusLabel": "開設",
        "capacity": 10, "evacuees": 2, "crowding": "EMPTY", "crowdingLabel": "空き",
    }
    unnamed = [f for f in features.values() if f["properties"]["commonId"] is None]
    assert [(f["id"], f["properties"]["status"], f["properties"]["crowding"]) for f in unnamed] == [
        (unnamed[0]["properties"]["key"], "NOT_OPENED", "UNKNOWN"),
    ]


async def test_only_ward_admins_export_shelter_status(api: Api) -> None:
    incident_id = await open_incident(api)
    staff = Identity(user_id=str(uuid.uuid4()), token_hash="", roles=frozenset({("SHELTER_STAFF", str(uuid.uuid4()))}))

    with pytest.raises(Forbidden):
        await rows_of(api, incident_id, actor=staff)
    with pytest.raises(NotFound):
        await rows_of(api, str(uuid.uuid4()))


ROW = exports.ShelterStatusRow(
    key="E1310400001211", common_id="E1310400001211", name="第一小学校", kind="SHELTER",
    welfare=False, status="OPEN", opened_at=datetime(2025, 9, 1, 3, 0, tzinfo=UTC), closed_at=None,
    capacity=100, evacuees=50, crowding="HALF", lat=35.7, lon=139.7,
)


def test_a_name_with_commas_quotes_and_newlines_stays_one_csv_cell() -> None:
    name = '体育館, 第2 "北"\n(仮設)'

    (parsed,) = csv_rows(exports.to_csv([replace(ROW, name=name)]))

    assert parsed["名称 (name)"] == name
    assert parsed["開設日時 (openedAt)"] == "2025-09-01T12:00:00+09:00"


@pytest.mark.parametrize(("recorded", "evacuees", "expected"), [
    ("OPEN", 0, "OPEN"), ("CLOSED", 3, "CLOSED"), (None, 0, "NOT_OPENED"), (None, 1, "UNKNOWN"),
    ("SOMETHING_ELSE", 0, "UNKNOWN"),
])
def test_opening_status_when_nothing_or_something_was_recorded(
    recorded: str | None, evacuees: int, expected: str
) -> None:
    assert exports.opening_status(recorded, evacuees) == expected


async def test_otagai_export_shelters_writes_csv_or_geojson_to_stdout(api: Api, db_url: str) -> None:
    incident_id = await ward_scenario(api)

    as_csv = otagai(db_url, "export", "shelters", "--incident", incident_id)
    as_geojson = otagai(db_url, "export", "shelters", "--incident", incident_id,
                        "--format", "geojson")

    assert (as_csv.returncode, as_geojson.returncode) == (0, 0), (as_csv.stderr, as_geojson.stderr)
    assert [r["避難者数 (evacuees)"] for r in csv_rows(as_csv.stdout)] == ["0", "2", "4", "2"]
    assert len(json.loads(as_geojson.stdout)["features"]) == 4


@pytest.mark.parametrize("db_kind", KINDS[:1], indirect=True)
@pytest.mark.parametrize("args", [
    ["--incident", str(uuid.UUID(int=9))], ["--incident", "x", "--format", "xlsx"], [],
])
async def test_otagai_export_shelters_refuses_bad_input_in_one_line_with_status_2(
    api: Api, db_url: str, args: list[str]
) -> None:
    result = otagai(db_url, "export", "shelters", *args)

    assert result.returncode == 2 and result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("otagai: error: "), lines
