"""Single-cell readers: the spellings real spreadsheets use."""

from __future__ import annotations

import pytest

from backend.safety.importer.values import (
    check_coordinates,
    kana_name,
    parse_code,
    parse_count,
    parse_flag,
    split_list,
    widen_kana,
)


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("50,700 ", 50700),
        ("900 ", 900),
        ("１，２００", 1200),
        ("300人", 300),
        ("1234.0", 1234),
        ("\u3000450\u3000", 450),
        ("", None),
        ("-", None),
        ("約500", None),
        ("5,07,00", None),
        ("12.5", None),
    ],
)
def test_counts_read_as_published_become_integers_or_none(raw: str, count: int | None) -> None:
    assert parse_count(raw) == count


@pytest.mark.parametrize(
    ("raw", "flag"),
    [("1", True), ("○", True), ("◯", True), ("〇", True), ("１", True),
     ("", False), ("0", False), ("×", False), (" ", False), ("2", None), ("yes", None)],
)  # fmt: skip
def test_flags_accept_one_and_circles_as_yes(raw: str, flag: bool | None) -> None:
    assert parse_flag(raw) is flag


def test_zero_padded_codes_stay_text_with_their_zeros() -> None:
    assert parse_code("001") == "001"
    assert parse_code(" 0000000101 ") == "0000000101"
    assert parse_code("") is None


def test_half_width_katakana_is_widened_and_voiced_marks_are_joined() -> None:
    assert widen_kana("ｵｵｶﾞｼﾜｼｮｳｶﾞｯｺｳ") == "オオガシワショウガッコウ"
    assert widen_kana("第１集会所") == "第１集会所"  # only half-width kana changes
    assert kana_name(" ｹﾝﾘﾂ　ｺｸﾌﾞﾝ ") == "ケンリツ コクブン"


def test_coordinates_inside_japan_are_kept_and_swapped_pairs_are_put_back() -> None:
    assert check_coordinates(35.68, 139.76) is not None
    swapped = check_coordinates(139.76, 35.68)
    assert swapped is not None and (swapped.lat, swapped.lon, swapped.swapped) == (
        35.68,
        139.76,
        True,
    )
    assert check_coordinates(24.28, 153.98) is not None  # 南鳥島
    assert check_coordinates(0.0, 0.0) is None
    assert check_coordinates(37.57, 126.98) is not None  # inside the box: the box is coarse


def test_lists_split_on_both_semicolons_and_drop_blanks_and_repeats() -> None:
    assert split_list("A町会;B自治会；;A町会 ") == ("A町会", "B自治会")
    assert split_list("") == ()
