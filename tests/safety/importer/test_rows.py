"""Row-level rules on small synthetic files in the standard 03 layout (built in the test).

The real files hold no bad rows, so the skip reasons are exercised here; the header is the
39-column one from DATA.md.
"""

from __future__ import annotations

import csv
import io

import pytest

from backend.safety.importer import Hazard, ShelterKind, SkipReason, parse_bytes

STANDARD_HEADER = [
    "全国地方公共団体コード", "ID", "名称", "名称_カナ", "名称_英字", "所在地_全国地方公共団体コード",
    "町字ID", "所在地_連結表記", "所在地_都道府県", "所在地_市区町村", "所在地_町字", "所在地_番地以下",
    "建物名等(方書)", "緯度", "経度", "標高", "電話番号", "内線番号", "連絡先メールアドレス",
    "連絡先FormURL", "連絡先備考（その他、SNSなど）", "郵便番号", "市区町村コード", "地方公共団体名",
    "災害種別_洪水", "災害種別_崖崩れ、土石流及び地滑り", "災害種別_高潮", "災害種別_地震", "災害種別_津波",
    "災害種別_大規模な火事", "災害種別_内水氾濫", "災害種別_火山現象", "指定避難所との重複", "想定収容人数",
    "対象となる町会・自治会", "URL", "画像", "画像_ライセンス", "備考",
]  # fmt: skip

TOSHIMA_SITE = {
    "全国地方公共団体コード": "131164",
    "ID": "E1311600001201",
    "名称": "駒込小学校",
    "所在地_連結表記": "東京都豊島区駒込3-13-1",
    "緯度": "35.7383736877017",
    "経度": "139.742937899613",
    "災害種別_地震": "1",
}


def standard_csv(*rows: dict[str, str], header: list[str] = STANDARD_HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue().encode("utf-8")


def site(**changes: str) -> dict[str, str]:
    return {**TOSHIMA_SITE, **changes}


def test_associations_are_split_on_half_and_full_width_semicolons() -> None:
    associations = "駒込一丁目町会;駒込二丁目町会； 染井自治会;"
    data = standard_csv({**TOSHIMA_SITE, "対象となる町会・自治会": associations})

    record = parse_bytes(data).records[0]

    assert record.associations == ("駒込一丁目町会", "駒込二丁目町会", "染井自治会")


def test_the_synthetic_header_is_the_39_column_standard() -> None:
    assert len(STANDARD_HEADER) == 39


def test_columns_are_found_by_name_even_when_reordered() -> None:
    data = standard_csv(site(), header=list(reversed(STANDARD_HEADER)))

    record = parse_bytes(data).records[0]

    assert (record.name, record.common_id, record.lat) == (
        "駒込小学校",
        "E1311600001201",
        35.7383736877017,
    )
    assert record.hazards == frozenset({Hazard.EARTHQUAKE})


def test_row_without_a_name_is_skipped_with_the_reason() -> None:
    result = parse_bytes(standard_csv(site(名称="  ")))

    assert result.records == ()
    assert [(s.row_number, s.reason) for s in result.skipped] == [(2, SkipReason.MISSING_NAME)]
    assert "名称" in result.skipped[0].detail


@pytest.mark.parametrize(
    ("lat", "lon", "reason"),
    [
        ("", "139.74", SkipReason.MISSING_COORDINATES),
        ("35.73", "", SkipReason.MISSING_COORDINATES),
        ("北緯35度", "139.74", SkipReason.INVALID_COORDINATES),
        ("0", "0", SkipReason.OUTSIDE_JAPAN),
        ("48.85", "2.35", SkipReason.OUTSIDE_JAPAN),
    ],
)
def test_row_without_usable_coordinates_is_skipped(lat: str, lon: str, reason: SkipReason) -> None:
    result = parse_bytes(standard_csv(site(緯度=lat, 経度=lon)))

    assert result.records == ()
    assert result.skipped[0].reason is reason
    assert result.skipped[0].name == "駒込小学校"


def test_swapped_latitude_and_longitude_are_put_back_with_a_warning() -> None:
    result = parse_bytes(standard_csv(site(緯度="139.742937899613", 経度="35.7383736877017")))

    assert (result.records[0].lat, result.records[0].lon) == (35.7383736877017, 139.742937899613)
    assert "swapped" in str(result.warnings[0])


def test_second_row_with_the_same_common_id_is_skipped_as_duplicate() -> None:
    result = parse_bytes(standard_csv(site(), site(名称="駒込小学校（校庭）")))

    assert [record.name for record in result.records] == ["駒込小学校"]
    assert result.skipped[0].reason is SkipReason.DUPLICATE
    assert "row 2" in result.skipped[0].detail


def test_malformed_common_id_falls_back_to_a_derived_key_and_is_reported() -> None:
    result = parse_bytes(standard_csv(site(ID="E13116-0001")))
    record = result.records[0]

    assert record.common_id is None
    assert record.key == record.derived_key
    assert record.local_id == "E13116-0001"
    assert "not a national common ID" in str(result.warnings[0])


def test_unreadable_capacity_keeps_the_site_without_a_capacity() -> None:
    result = parse_bytes(standard_csv(site(想定収容人数="約500")))

    assert result.records[0].capacity is None
    assert "約500" in str(result.warnings[0])


def test_full_width_capacity_with_unit_is_read() -> None:
    record = parse_bytes(standard_csv(site(想定収容人数="１，２００人"))).records[0]

    assert record.capacity == 1200


def test_overlap_flag_written_as_circle_makes_the_site_both_kinds() -> None:
    record = parse_bytes(standard_csv(site(指定避難所との重複="○"))).records[0]

    assert record.kind is ShelterKind.BOTH


def test_row_without_municipality_code_or_common_id_is_skipped() -> None:
    result = parse_bytes(standard_csv(site(ID="", 全国地方公共団体コード="")))

    assert result.skipped[0].reason is SkipReason.MISSING_MUNICIPALITY


def test_municipality_code_is_taken_from_the_common_id_when_the_column_is_empty() -> None:
    record = parse_bytes(standard_csv(site(全国地方公共団体コード=""))).records[0]

    assert record.municipality_code == "13116"


def test_blank_rows_between_data_rows_are_layout_not_skips() -> None:
    header, first, second, end = standard_csv(site(), site(ID="E1311600002201")).split(b"\r\n")
    data = b"\r\n".join([header, first, b",,,,", b"", second, end])

    result = parse_bytes(data)

    assert [record.source_row for record in result.records] == [2, 5]
    assert result.skipped == ()


def test_welfare_shelter_is_recognised_from_the_common_id_minor_type() -> None:
    data = (
        "NO,共通ID,都道府県名及び市町村名,施設・場所名,住所,指定緊急避難場所との住所同一,"
        "その他市町村長が必要と認める事項,受入対象者,緯度,経度,備考\r\n"
        "1,E1311600101121,東京都豊島区,福祉センター,東京都豊島区1-1,,,,35.73,139.71,\r\n"
        "2,E1311600102111,東京都豊島区,区民集会所,東京都豊島区1-2,,,,35.74,139.72,\r\n"
    ).encode()

    records = parse_bytes(data).records

    assert [(r.name, r.kind, r.welfare) for r in records] == [
        ("福祉センター", ShelterKind.SHELTER, True),
        ("区民集会所", ShelterKind.SHELTER, False),
    ]


def test_gsi_row_without_a_common_id_cannot_be_keyed_and_is_skipped() -> None:
    data = (
        "NO,共通ID,都道府県名及び市町村名,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,"
        "大規模な火事,内水氾濫,火山現象,指定避難所との住所同一,緯度,経度,備考\r\n"
        "1,,東京都豊島区,駒込小学校,東京都豊島区駒込3-13-1,,,,1,,,,,1,35.738,139.742,\r\n"
    ).encode()

    skipped = parse_bytes(data).skipped[0]

    assert skipped.reason is SkipReason.MISSING_MUNICIPALITY
    assert str(skipped) == (
        "row 2 (駒込小学校): cannot key the row: the file has no municipality code column "
        "and there is no valid common ID"
    )


def test_skip_report_counts_reasons_most_frequent_first() -> None:
    result = parse_bytes(
        standard_csv(
            site(緯度=""),
            site(ID="E1311600002201", 名称=""),
            site(ID="E1311600003201", 経度=""),
            site(ID="E1311600004201"),
        )
    )

    assert len(result.records) == 1
    assert list(result.skip_counts().items()) == [
        (SkipReason.MISSING_COORDINATES, 2),
        (SkipReason.MISSING_NAME, 1),
    ]
    assert [row.row_number for row in result.skipped] == [2, 3, 4]
