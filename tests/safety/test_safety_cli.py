"""`otagai incident open|close` and `otagai association create`, run as an operator runs them:
a command that creates something prints its id alone on the last line; bad input is one line
on stderr, exit status 2, and nothing written (API.md "Processes")."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from tests.conftest import Api
from tests.safety.commands import count, last_line, otagai, otagai_many, query

TOSHIMA_BLOCK = {
    "type": "Feature",
    "properties": {"name": "南池袋二丁目町会"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [
                [139.7120, 35.7250],
                [139.7160, 35.7250],
                [139.7160, 35.7280],
                [139.7120, 35.7280],
                [139.7120, 35.7250],
            ]
        ],
    },
}


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def assert_bad_input(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result
    assert result.stdout == "", result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("otagai: error: "), result


def test_incident_open_and_close_print_the_incidents_id_alone_on_the_last_line(db_url: str) -> None:
    opened, drill = otagai_many(
        db_url,
        [
            ["incident", "open", "--name", "首都直下地震"],
            ["incident", "open", "--name", "9月1日 防災訓練", "--drill"],
        ],
    )
    incident_id, drill_id = last_line(opened), last_line(drill)
    closed = otagai(db_url, "incident", "close", incident_id)

    assert (opened.returncode, drill.returncode, closed.returncode) == (0, 0, 0), (
        opened,
        drill,
        closed,
    )
    assert is_uuid(incident_id) and is_uuid(drill_id) and incident_id != drill_id
    assert last_line(closed) == incident_id
    rows = {
        row[0]: row[1:]
        for row in query(db_url, "SELECT id, name, is_drill, closed_at IS NOT NULL FROM incident")
    }
    assert rows == {
        incident_id: ("首都直下地震", False, True),
        drill_id: ("9月1日 防災訓練", True, False),
    }


async def test_an_incident_opened_from_the_command_line_reaches_devices_through_pull(
    api: Api, db_url: str
) -> None:
    device = await api.device("resident@example.jp")

    opened = otagai(db_url, "incident", "open", "--name", "首都直下地震")
    await device.pull_all()

    incident_id = last_line(opened)
    pulled = {eid: row["data"] for (kind, eid), row in device.replica.items() if kind == "Incident"}
    assert list(pulled) == [incident_id]
    assert (pulled[incident_id]["name"], pulled[incident_id]["isDrill"]) == ("首都直下地震", False)


def test_bad_input_to_incident_commands_exits_2_with_one_line_and_writes_nothing(
    db_url: str,
) -> None:
    feed_before = count(db_url, "sync_change")

    results = otagai_many(
        db_url,
        [
            ["incident", "open", "--name", "   "],
            ["incident", "open"],
            ["incident", "close", "not-an-incident-id"],
            ["incident", "close", str(uuid.uuid4())],
        ],
    )

    for result in results:
        assert_bad_input(result)
    assert count(db_url, "incident") == 0
    assert count(db_url, "sync_change") == feed_before


def test_association_create_prints_the_new_id_and_keeps_its_area(
    db_url: str, tmp_path: Path
) -> None:
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps(TOSHIMA_BLOCK, ensure_ascii=False), encoding="utf-8")

    created = otagai(
        db_url, "association", "create", "--name", "南池袋二丁目町会", "--area", str(area)
    )

    assert created.returncode == 0, created.stderr
    association_id = last_line(created)
    [(found_id, name, stored)] = query(db_url, "SELECT id, name, area_geojson FROM association")
    assert (found_id, name) == (association_id, "南池袋二丁目町会")
    assert json.loads(stored) == TOSHIMA_BLOCK["geometry"]


def test_association_create_with_a_bad_area_exits_2_and_creates_nothing(
    db_url: str, tmp_path: Path
) -> None:
    not_json = tmp_path / "not_json.geojson"
    not_json.write_text("{ this is not json", encoding="utf-8")
    a_point = tmp_path / "point.geojson"
    a_point.write_text(
        json.dumps({"type": "Point", "coordinates": [139.71, 35.72]}), encoding="utf-8"
    )
    bowtie = tmp_path / "bowtie.geojson"  # crosses itself: not a valid polygon
    bowtie.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [139.71, 35.72],
                        [139.72, 35.73],
                        [139.72, 35.72],
                        [139.71, 35.73],
                        [139.71, 35.72],
                    ]
                ],
            }
        ),
        encoding="utf-8",
    )
    missing = tmp_path / "missing.geojson"

    results = otagai_many(
        db_url,
        [
            ["association", "create", "--name", "南池袋二丁目町会", "--area", str(path)]
            for path in (not_json, a_point, bowtie, missing)
        ],
    )

    for result in results:
        assert_bad_input(result)
    assert count(db_url, "association") == 0
