"""Header detection and format recognition by column names."""

from __future__ import annotations

import pytest

from backend.safety.importer import FORMATS_BY_NAME, RefusedFile, UnknownFormat, parse_bytes
from backend.safety.importer.formats import normalise_header
from backend.safety.importer.layout import find_layout
from tests.safety.importer.paths import OPEN_DATA


def test_header_names_lose_line_breaks_spaces_and_full_width_forms() -> None:
    assert normalise_header("区市町村\nコード") == "区市町村コード"
    assert (
        normalise_header("エレベーター有/\r\n避難スペースが１階")
        == "エレベーター有/避難スペースが1階"
    )
    assert normalise_header(" 収容可能人員（屋内） ") == "収容可能人員(屋内)"


def test_header_is_found_below_title_rows() -> None:
    rows = [
        ["東京都 指定緊急避難場所", "", ""],
        ["", "", "（令和６年４月１日時点）"],
        ["NO", "共通ID", "都道府県名及び市町村名", "施設・場所名", "住所", "指定避難所との住所同一",
         "緯度", "経度"],
    ]  # fmt: skip

    layout = find_layout(rows)

    assert (layout.format.name, layout.header_index) == ("gsi-evacuation-sites", 2)


def test_unnamed_columns_are_recorded_and_ignored() -> None:
    header = (OPEN_DATA / "matsuyama_382019_evacuation_space.csv").read_text("utf-8-sig")
    layout = find_layout([header.splitlines()[0].split(",")])

    assert layout.unnamed == (33,)
    assert layout.width == 40
    assert layout.columns["想定収容人数"] == 34


def test_unknown_header_raises_naming_the_formats_we_expected() -> None:
    data = "番号,店舗名,住所,緯度,経度\r\n1,コンビニ,千代田区1-1,35.6,139.7\r\n".encode()

    with pytest.raises(UnknownFormat) as error:
        parse_bytes(data)

    message = error.value.message
    assert "番号, 店舗名, 住所, 緯度, 経度" in message
    for name in FORMATS_BY_NAME:
        assert name in message
    assert "自治体標準オープンデータセット 03" in message


def test_forced_format_that_does_not_fit_says_which_columns_it_needs() -> None:
    data = (OPEN_DATA / "hamamatsu_221390_hinanjo.csv").read_bytes()

    with pytest.raises(UnknownFormat, match="standard-03") as error:
        parse_bytes(data, format="standard-03")

    assert "指定避難所との重複" in error.value.message


def test_forced_format_that_fits_is_used() -> None:
    data = (OPEN_DATA / "hamamatsu_221390_hinanjo.csv").read_bytes()

    assert parse_bytes(data, format="hamamatsu-shelters").format == "hamamatsu-shelters"


def test_unknown_format_name_lists_the_valid_names() -> None:
    with pytest.raises(UnknownFormat, match="auto, standard-03"):
        parse_bytes(b"ID\r\n", format="standard-3")


def test_forced_format_cannot_import_a_refused_dataset_by_accident() -> None:
    data = (OPEN_DATA / "ichikawa_122033_108_aed.utf8.csv").read_bytes()

    with pytest.raises(RefusedFile):
        parse_bytes(data)
    with pytest.raises(UnknownFormat):
        parse_bytes(data, format="standard-03")


def test_empty_file_is_an_unknown_format() -> None:
    with pytest.raises(UnknownFormat, match="empty file"):
        parse_bytes(b"")
