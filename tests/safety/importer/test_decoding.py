"""Encoding detection: BOM → UTF-8 → CP932."""

from __future__ import annotations

import pytest

from backend.safety.importer import UndecodableFile
from backend.safety.importer.decoding import decode_bytes

TEXT = "名称,名称_カナ\r\n大町小学校,ｵｵﾏﾁｼｮｳｶﾞｯｺｳ\r\n"


def test_utf8_with_bom_loses_the_bom() -> None:
    decoded = decode_bytes(b"\xef\xbb\xbf" + TEXT.encode())

    assert (decoded.text, decoded.encoding) == (TEXT, "utf-8-sig")


def test_plain_utf8_is_recognised() -> None:
    assert decode_bytes(TEXT.encode()).encoding == "utf-8"


def test_cp932_is_the_fallback_and_reads_half_width_kana() -> None:
    decoded = decode_bytes(TEXT.encode("cp932"))

    assert (decoded.text, decoded.encoding) == (TEXT, "cp932")


def test_forced_shift_jis_reads_microsoft_extensions() -> None:
    decoded = decode_bytes("①髙".encode("cp932"), "Shift_JIS")

    assert (decoded.text, decoded.encoding) == ("①髙", "cp932")


def test_forced_utf8_still_strips_a_bom() -> None:
    assert decode_bytes(b"\xef\xbb\xbfID", "utf-8").text == "ID"


def test_bytes_in_no_supported_encoding_are_refused_with_the_offset() -> None:
    with pytest.raises(UndecodableFile, match="offset"):
        decode_bytes(b"ID\r\n\x81 \x82\x7f")  # lead bytes without a valid trail byte


def test_unknown_encoding_label_is_refused() -> None:
    with pytest.raises(UndecodableFile, match="unknown encoding"):
        decode_bytes(b"ID", "klingon")
