"""Turn the bytes of a municipal CSV into text, guessing UTF-8 (with or without BOM) or CP932.

Japanese open data is published in all three; Excel-exported files are usually CP932 and
carry no marker, so the order of attempts matters: a BOM is proof, valid UTF-8 is near proof
(CP932 Japanese text is practically never valid UTF-8), and CP932 is the fallback.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from backend.safety.importer.errors import UndecodableFile

UTF8_BOM = "utf-8-sig"
UTF8 = "utf-8"
CP932 = "cp932"

_ALIASES = {
    "auto": "auto",
    "utf8": UTF8,
    "utf-8": UTF8,
    "utf-8-sig": UTF8_BOM,
    "utf_8_sig": UTF8_BOM,
    "cp932": CP932,
    "ms932": CP932,
    "windows-31j": CP932,
    # Files labelled Shift_JIS almost always use Microsoft's extensions (①, ㈱, 髙…).
    "shift_jis": CP932,
    "shift-jis": CP932,
    "sjis": CP932,
}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def normalise_encoding_name(name: str) -> str:
    """Map a user-given encoding label to the codec we use; unknown labels are refused early."""
    label = name.strip().lower()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        return codecs.lookup(label).name
    except LookupError:
        raise UndecodableFile(
            f"unknown encoding {name!r}; use auto, utf-8, utf-8-sig or cp932"
        ) from None


def decode_bytes(data: bytes, encoding: str = "auto") -> Decoded:
    """Decode `data`; with "auto", detect BOM → UTF-8 → CP932 in that order."""
    chosen = normalise_encoding_name(encoding)
    if chosen != "auto":
        return _decode_as(data, chosen)
    if data.startswith(codecs.BOM_UTF8):
        return _decode_as(data, UTF8_BOM)
    try:
        return Decoded(data.decode(UTF8), UTF8)
    except UnicodeDecodeError:
        pass
    try:
        return Decoded(data.decode(CP932), CP932)
    except UnicodeDecodeError as error:
        raise UndecodableFile(
            f"the file is neither UTF-8 nor CP932 (Shift_JIS): undecodable byte at offset "
            f"{error.start}"
        ) from None


def _decode_as(data: bytes, encoding: str) -> Decoded:
    # A BOM is stripped even when the caller forced plain UTF-8: it is never part of a header.
    if encoding == UTF8 and data.startswith(codecs.BOM_UTF8):
        encoding = UTF8_BOM
    try:
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError as error:
        raise UndecodableFile(
            f"the file is not valid {encoding}: undecodable byte at offset {error.start}"
        ) from None
