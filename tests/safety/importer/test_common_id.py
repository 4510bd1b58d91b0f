"""National common IDs, municipality codes and the derived key for rows without an ID."""

from __future__ import annotations

import pytest

from backend.safety.importer import ShelterKind
from backend.safety.importer.common_id import (
    check_digit,
    derived_key,
    parse_common_id,
    parse_municipality_code,
)


def test_evacuation_site_id_from_matsuyama_is_valid() -> None:
    parsed = parse_common_id("E3820100602201")

    assert parsed is not None
    assert (parsed.municipality_code, parsed.serial) == ("38201", "00602")
    assert parsed.kind is ShelterKind.EVACUATION_SITE
    assert parsed.welfare is False


def test_shelter_id_with_minor_type_two_is_a_welfare_shelter() -> None:
    general = parse_common_id("E0110000001111")
    welfare = parse_common_id("E0110000001121")

    assert general is not None and welfare is not None
    assert (general.kind, general.welfare) == (ShelterKind.SHELTER, False)
    assert (welfare.kind, welfare.welfare) == (ShelterKind.SHELTER, True)


def test_full_width_id_with_spaces_is_normalised() -> None:
    parsed = parse_common_id(" Ｅ１３１１６００００１２０１ ")

    assert parsed is not None and parsed.value == "E1311600001201"


@pytest.mark.parametrize(
    "raw",
    ["", "E131160000120", "E13116000012011", "X1311600001201", "E1311600001301",
     "E9911600001201", "E0011600001201", "0000000101", "E13116-0001201"],
)  # fmt: skip
def test_malformed_ids_are_rejected(raw: str) -> None:
    assert parse_common_id(raw) is None


@pytest.mark.parametrize(
    ("code5", "digit"),
    [("13101", "6"), ("38201", "9"), ("12203", "3"), ("13000", "1"), ("01100", "2"),
     ("47302", "2"), ("13116", "4")],
)  # fmt: skip
def test_check_digit_matches_the_published_six_digit_codes(code5: str, digit: str) -> None:
    assert check_digit(code5) == digit


def test_six_digit_codes_lose_their_check_digit_and_bad_ones_are_flagged() -> None:
    assert parse_municipality_code("131016") == parse_municipality_code("13101")
    hamamatsu = parse_municipality_code("221390")
    assert hamamatsu is not None and (hamamatsu.code, hamamatsu.check_digit_ok) == ("22139", False)
    assert parse_municipality_code("1310") is None
    assert parse_municipality_code("東京都") is None


def test_derived_key_ignores_width_spacing_and_digits_beyond_five_decimals() -> None:
    key = derived_key("12203", "大町小学校", 35.77180422, 139.9570251)

    assert key == derived_key("12203", " 大町 小学校", 35.771804, 139.95703)
    assert key == derived_key("12203", "大町小学校", 35.7718042, 139.95702514)
    assert key != derived_key("12203", "大町小学校", 35.77190, 139.9570251)
    assert key != derived_key("12204", "大町小学校", 35.77180422, 139.9570251)
    assert key.startswith("D12203-") and len(key) == len("D12203-") + 16


def test_derived_key_treats_full_width_and_half_width_names_alike() -> None:
    assert derived_key("13116", "第１集会所", 35.7, 139.7) == derived_key(
        "13116", "第1集会所", 35.7, 139.7
    )
