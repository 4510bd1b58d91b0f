"""`otagai association create --name N [--area FILE.geojson]`, run as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.api.test_cli import otagai_many, query

AREA = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "駒込三丁目"},
        "geometry": {"type": "Polygon", "coordinates": [[[139.74, 35.73], [139.75, 35.73], [139.75, 35.74],
                                                         [139.74, 35.74], [139.74, 35.73]]]}}]}


def test_an_association_is_created_with_its_area_and_bad_areas_change_nothing(db_url: str, tmp_path: Path) -> None:
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps(AREA), encoding="utf-8")
    line = tmp_path / "line.geojson"
    line.write_text(json.dumps({"type": "LineString", "coordinates": [[139.7, 35.7], [139.8, 35.8]]}))

    made, not_polygon, missing = otagai_many(db_url, [
        ["association", "create", "--name", "駒込三丁目町会", "--area", str(area)],
        ["association", "create", "--name", "線の町会", "--area", str(line)],
        ["association", "create", "--name", "無い町会", "--area", str(tmp_path / "nope.geojson")],
    ])

    assert made.returncode == 0, made.stderr
    association_id = made.stdout.strip().splitlines()[-1]
    [(name, stored)] = query(db_url, f"SELECT name, area_geojson FROM association WHERE id = '{association_id}'")
    assert name == "駒込三丁目町会" and json.loads(str(stored))["type"] == "Polygon"
    for refused in (not_polygon, missing):
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert query(db_url, "SELECT count(*) FROM association") == [(1,)]
