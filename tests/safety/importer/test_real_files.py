"""Every real file in ../shared/data/open-data either imports with known counts or is refused.

Counts were verified by reading each file with the csv module independently of the importer
(row counts, empty names/coordinates, duplicate IDs, the 指定避難所との重複 column).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from backend.safety.importer import RefusedFile, ShelterKind, parse_file
from tests.safety.importer.paths import OPEN_DATA


@dataclass(frozen=True)
class Expected:
    file: str
    format: str
    encoding: str
    records: int
    skipped: int
    both: int  # rows also designated as the other kind
    with_common_id: int
    with_capacity: int


IMPORTED = [
    Expected("tokyo_130001_evacuation_area.csv", "tokyo-evacuation-areas", "utf-8-sig",
             2251, 0, 0, 0, 0),
    Expected("matsuyama_382019_evacuation_space.csv", "standard-03", "utf-8-sig",
             390, 0, 151, 390, 390),
    Expected("ichikawa_122033_103_evacuation_space.cp932.csv", "standard-03", "cp932",
             121, 0, 88, 0, 0),
    Expected("ichikawa_122033_103_evacuation_space.utf8.csv", "standard-03", "utf-8",
             121, 0, 88, 0, 0),
    Expected("gsi_mergeFromCity_1_designated_shelters_SAMPLE_sapporo.csv", "gsi-shelters",
             "utf-8", 20, 0, 7, 20, 0),
    Expected("gsi_mergeFromCity_2_emergency_sites_SAMPLE_toshima.csv", "gsi-evacuation-sites",
             "utf-8", 35, 0, 35, 35, 0),
    Expected("hamamatsu_221390_hinanjo.csv", "hamamatsu-shelters", "utf-8-sig",
             182, 0, 0, 0, 182),
    Expected("okinawa_ogimi_473022_evacuation_space.csv", "recommended-evacuation-space",
             "utf-8-sig", 19, 0, 1, 0, 19),
]  # fmt: skip

REFUSED = {
    "ichikawa_122033_101_public_facility.cp932.csv": "公共施設一覧",
    "ichikawa_122033_101_public_facility.utf8.csv": "公共施設一覧",
    "ichikawa_122033_108_aed.cp932.csv": "AED設置箇所一覧",
    "ichikawa_122033_108_aed.utf8.csv": "AED設置箇所一覧",
    "ichikawa_122033_109_care_service.cp932.csv": "介護サービス事業所一覧",
    "ichikawa_122033_109_care_service.utf8.csv": "介護サービス事業所一覧",
    "ichikawa_122033_206_kitaku_konnan.cp932.csv": "帰宅困難者支援ステーション",
    "ichikawa_122033_206_kitaku_konnan.utf8.csv": "帰宅困難者支援ステーション",
    "ichikawa_122033_208_medical_aid_station.cp932.csv": "災害種別・収容人数の列なし",
    "ichikawa_122033_208_medical_aid_station.utf8.csv": "災害種別・収容人数の列なし",
    "tokyo_kyusui_kyoten_ichiran.cp932.csv": "給水拠点一覧",
    "tokyo_kyusui_kyoten_ichiran.utf8.csv": "給水拠点一覧",
    "tokyo_toritsu_ichiji_taizai_shisetsu.csv": "都立一時滞在施設一覧",
}


def test_every_real_file_is_either_imported_or_knowingly_refused() -> None:
    on_disk = {path.name for path in OPEN_DATA.glob("*.csv")}
    decided = {expected.file for expected in IMPORTED} | set(REFUSED)
    assert on_disk == decided


@pytest.mark.parametrize("expected", IMPORTED, ids=lambda expected: expected.file)
def test_shelter_file_imports_with_the_verified_counts(expected: Expected) -> None:
    result = parse_file(OPEN_DATA / expected.file)

    assert result.format == expected.format
    assert result.encoding == expected.encoding
    assert len(result.records) == expected.records
    assert len(result.skipped) == expected.skipped
    assert sum(record.kind is ShelterKind.BOTH for record in result.records) == expected.both
    assert sum(record.common_id is not None for record in result.records) == expected.with_common_id
    assert sum(record.capacity is not None for record in result.records) == expected.with_capacity


@pytest.mark.parametrize("expected", IMPORTED, ids=lambda expected: expected.file)
def test_every_record_of_a_file_has_its_own_key(expected: Expected) -> None:
    records = parse_file(OPEN_DATA / expected.file).records

    assert len({record.key for record in records}) == len(records)


@pytest.mark.parametrize("expected", IMPORTED, ids=lambda expected: expected.file)
def test_parsing_a_file_twice_gives_identical_records(expected: Expected) -> None:
    first = parse_file(OPEN_DATA / expected.file)
    second = parse_file(OPEN_DATA / expected.file)

    assert first.records == second.records
    assert first.skipped == second.skipped


@pytest.mark.parametrize("stem", ["ichikawa_122033_103_evacuation_space"])
def test_cp932_file_gives_the_same_records_as_its_utf8_twin(stem: str) -> None:
    cp932 = parse_file(OPEN_DATA / f"{stem}.cp932.csv")
    utf8 = parse_file(OPEN_DATA / f"{stem}.utf8.csv")

    assert (cp932.encoding, utf8.encoding) == ("cp932", "utf-8")
    assert cp932.records == utf8.records


@pytest.mark.parametrize("file", sorted(REFUSED))
def test_non_shelter_file_is_refused_naming_the_dataset_and_why(file: str) -> None:
    with pytest.raises(RefusedFile) as refused:
        parse_file(OPEN_DATA / file)

    assert REFUSED[file] in refused.value.dataset
    assert refused.value.reason
    assert refused.value.code == "SHELTER_FILE_REFUSED"


def test_tokyo_file_keeps_every_ward_and_the_metropolitan_sites() -> None:
    records = parse_file(OPEN_DATA / "tokyo_130001_evacuation_area.csv").records
    by_code = Counter(record.municipality_code for record in records)

    assert len(by_code) == 53
    assert by_code["13000"] == 235  # 130001 = sites designated by the metropolis itself
    assert by_code["13120"] == 163  # 練馬区


def test_matsuyama_sites_carry_the_hazards_of_their_columns() -> None:
    records = parse_file(OPEN_DATA / "matsuyama_382019_evacuation_space.csv").records
    hazards = Counter(hazard for record in records for hazard in record.hazards)

    assert hazards == {
        "EARTHQUAKE": 390,
        "TSUNAMI": 331,
        "LANDSLIDE": 319,
        "STORM_SURGE": 282,
        "FLOOD": 137,
        "LARGE_FIRE": 6,
    }
