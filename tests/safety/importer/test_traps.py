"""The traps listed in DATA.md, each shown on the real file that has it."""

from __future__ import annotations

from functools import cache

from backend.safety.importer import (
    Accessibility,
    Hazard,
    ParseResult,
    RefusedFile,
    ShelterKind,
    parse_file,
)
from backend.safety.importer.common_id import parse_common_id
from tests.safety.importer.paths import OPEN_DATA


@cache
def parsed(file: str) -> ParseResult:
    return parse_file(OPEN_DATA / file)


def tokyo() -> ParseResult:
    return parsed("tokyo_130001_evacuation_area.csv")


def matsuyama() -> ParseResult:
    return parsed("matsuyama_382019_evacuation_space.csv")


def ichikawa() -> ParseResult:
    return parsed("ichikawa_122033_103_evacuation_space.cp932.csv")


def test_bom_is_detected_and_does_not_stick_to_the_first_header() -> None:
    assert (OPEN_DATA / "matsuyama_382019_evacuation_space.csv").read_bytes()[:3] == b"\xef\xbb\xbf"

    result = matsuyama()

    assert result.encoding == "utf-8-sig"
    assert result.records[0].municipality_code == "38201"  # read from 全国地方公共団体コード


def test_tokyo_header_with_line_breaks_and_a_blank_second_line_is_found() -> None:
    result = tokyo()

    assert result.header_row == 1
    assert result.records[0].source_row == 3  # row 2 is the blank line
    assert result.records[0].name == "北の丸公園"
    assert result.records[0].municipality_code == "13101"  # header "区市町村\nコード"


def test_tokyo_accessibility_flags_written_as_circles_are_read() -> None:
    records = {record.name: record for record in tokyo().records}

    assert records["麹町小学校"].accessibility == frozenset(Accessibility)  # ○,○,○,○
    assert records["番町小学校"].accessibility == frozenset()  # four empty cells
    counts = {flag: sum(flag in r.accessibility for r in tokyo().records) for flag in Accessibility}
    assert counts == {
        Accessibility.ELEVATOR_OR_GROUND_FLOOR: 972,
        Accessibility.SLOPE: 838,
        Accessibility.TACTILE_PAVING: 389,
        Accessibility.ACCESSIBLE_TOILET: 1093,
    }


def test_tokyo_multi_ward_address_is_kept_verbatim() -> None:
    records = {record.name: record for record in tokyo().records}
    gaien = records["明治神宮外苑地区"]

    assert gaien.address == "港区北青山、新宿区霞ヶ丘町、渋谷区神宮前、千駄ケ谷"
    assert gaien.municipality_code == "13000"
    assert gaien.hazards == frozenset({Hazard.LARGE_FIRE})
    assert sum("、" in (record.address or "") for record in tokyo().records) == 118


def test_matsuyama_stray_fortieth_column_does_not_shift_the_capacity() -> None:
    header = (OPEN_DATA / "matsuyama_382019_evacuation_space.csv").read_text("utf-8-sig")
    assert header.splitlines()[0].count(",") == 39  # 40 columns, one of them unnamed

    first = matsuyama().records[0]

    assert first.name == "城山公園"
    assert first.capacity == 50700  # the cell reads "50,700 "
    assert first.kind is ShelterKind.EVACUATION_SITE


def test_matsuyama_capacities_with_separators_and_trailing_spaces_are_numbers() -> None:
    capacities = [record.capacity for record in matsuyama().records[:4]]

    assert capacities == [50700, 4800, 900, 1400]


def test_matsuyama_common_ids_are_validated_and_used_as_keys() -> None:
    first = matsuyama().records[0]
    common_id = parse_common_id(first.common_id)

    assert first.key == "E3820100602201"
    assert common_id is not None
    assert (common_id.municipality_code, common_id.serial) == ("38201", "00602")
    assert common_id.kind is ShelterKind.EVACUATION_SITE
    assert all(record.key == record.common_id for record in matsuyama().records)


def test_matsuyama_site_also_designated_as_shelter_is_both() -> None:
    both = [record for record in matsuyama().records if record.kind is ShelterKind.BOTH]

    assert len(both) == 151
    assert all(parse_common_id(record.common_id) is not None for record in both)


def test_ichikawa_empty_id_gives_a_derived_key_stable_across_encodings() -> None:
    first = ichikawa().records[0]
    twin = parsed("ichikawa_122033_103_evacuation_space.utf8.csv").records[0]

    assert first.common_id is None
    assert first.key == first.derived_key
    assert first.derived_key.startswith("D12203-")
    assert first.derived_key == twin.derived_key


def test_ichikawa_half_width_katakana_is_widened() -> None:
    first = ichikawa().records[0]

    assert first.name_kana == "ケンリツコクブンコウコウ"  # published as ｹﾝﾘﾂｺｸﾌﾞﾝｺｳｺｳ
    assert first.phone == "(047)371-6100"


def test_zero_padded_local_numbers_stay_text() -> None:
    hamamatsu = parsed("hamamatsu_221390_hinanjo.csv").records[0]
    ogimi = parsed("okinawa_ogimi_473022_evacuation_space.csv").records[0]

    assert hamamatsu.local_id == "001"
    assert ogimi.local_id == "0000000101"


def test_hamamatsu_indoor_capacity_is_read_and_the_bad_check_digit_reported_once() -> None:
    result = parsed("hamamatsu_221390_hinanjo.csv")

    assert result.records[0].capacity == 1136
    assert result.records[0].kind is ShelterKind.SHELTER
    assert [str(w) for w in result.warnings] == [
        (
            "row 2: municipality code 221390 has a wrong check digit; keyed by its first five "
            "digits 22139 (also 181 more rows)"
        )
    ]


def test_ogimi_associations_column_is_linked_verbatim() -> None:
    records = parsed("okinawa_ogimi_473022_evacuation_space.csv").records

    assert records[0].associations == ("大宜味村全域",)
    assert records[1].associations == ("田嘉里区",)


def test_gsi_same_address_flag_marks_a_place_as_both_kinds() -> None:
    shelters = parsed("gsi_mergeFromCity_1_designated_shelters_SAMPLE_sapporo.csv").records
    sites = parsed("gsi_mergeFromCity_2_emergency_sites_SAMPLE_toshima.csv").records

    assert shelters[0].kind is ShelterKind.BOTH  # もみじ台中学校: 住所同一 = 1
    assert shelters[2].kind is ShelterKind.SHELTER  # もみじ台東第１集会所: empty
    assert shelters[2].name == "もみじ台東第１集会所"  # full-width digit kept in the name
    assert sites[5].hazards == frozenset({Hazard.EARTHQUAKE})  # 高南小学校
    assert sites[0].municipality_code == "13116"  # from the common ID: GSI has no code column


def test_title_rows_before_the_header_are_skipped_before_refusing() -> None:
    try:
        parse_file(OPEN_DATA / "tokyo_toritsu_ichiji_taizai_shisetsu.csv")
    except RefusedFile as refused:
        assert "no coordinates" in refused.reason
        assert "帰宅困難者" in refused.reason
    else:
        raise AssertionError("the 都立一時滞在施設 list must be refused")
