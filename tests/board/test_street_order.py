"""The stored street key sorts, byte by byte, exactly as the door-knock order compares."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backend.board.street import sort_key, street_order

# Addresses as typed: digits (ASCII and others), 丁目 and 番地, dashes, spaces, Latin letters.
_ADDRESS = st.text(alphabet=st.sampled_from("0123456789０１２-－ 丁目番地号駒込AbŌ٣"), max_size=14)
_LABEL = st.text(alphabet=st.sampled_from("佐藤家鈴木 AaZ09"), max_size=4)
_HOUSEHOLD = st.tuples(_ADDRESS, _LABEL, st.uuids().map(str))


def _door_knock(home: tuple[str, str, str]) -> tuple[object, ...]:
    address, label, household_id = home
    return (street_order(address), label, household_id)


def _bytewise(home: tuple[str, str, str]) -> bytes:
    return sort_key(*home).encode()  # what COLLATE "C" and SQLite's BINARY compare


@given(st.lists(_HOUSEHOLD, max_size=30))
def test_sorting_by_the_stored_key_gives_the_door_knock_order(homes: list[tuple[str, str, str]]) -> None:
    assert sorted(homes, key=_bytewise) == sorted(homes, key=_door_knock)


def test_house_numbers_compare_as_numbers_and_a_shorter_address_comes_first() -> None:
    homes = [("駒込3-1-10", "十", "c"), ("駒込3-1-2", "二", "b"), ("駒込3-1", "一", "a"), ("駒込3-1-02", "〇二", "d")]

    ordered = sorted(homes, key=lambda h: sort_key(*h))

    assert [label for _, label, _ in ordered] == ["一", "〇二", "二", "十"]  # 02 = 2, then by label
