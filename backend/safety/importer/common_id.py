"""National keys: the 14-character common shelter ID, municipality codes, and our derived key.

The common ID (全国共通避難所・避難場所ID) is `E` + 5-digit municipality code + 5-digit facility
serial + major type (1 指定避難所, 2 指定緊急避難場所) + minor type (for shelters 1 general,
2 福祉避難所; GSI files write 0 for evacuation sites) + one sequence character.
The national disaster information system joins opening status and headcounts on it, so it is
our key whenever a file carries one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from backend.safety.importer.records import ShelterKind
from backend.safety.importer.values import nfkc

_COMMON_ID = re.compile(r"E(\d{5})(\d{5})([12])(\d)([0-9A-Z])")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CommonId:
    value: str
    municipality_code: str
    serial: str
    kind: ShelterKind
    welfare: bool


def parse_common_id(raw: str | None) -> CommonId | None:
    """Validate a common ID (full-width letters and stray spaces tolerated); None if invalid."""
    if raw is None:
        return None
    text = nfkc(raw).strip().upper()
    match = _COMMON_ID.fullmatch(text)
    if match is None:
        return None
    code, serial, major, minor, _sequence = match.groups()
    if not _is_prefecture(code[:2]):
        return None
    kind = ShelterKind.SHELTER if major == "1" else ShelterKind.EVACUATION_SITE
    return CommonId(
        value=text,
        municipality_code=code,
        serial=serial,
        kind=kind,
        welfare=kind is ShelterKind.SHELTER and minor == "2",
    )


def check_digit(code5: str) -> str:
    """The JIS X 0402 check digit that turns a 5-digit municipality code into the 6-digit one."""
    total = sum(int(digit) * weight for digit, weight in zip(code5, (6, 5, 4, 3, 2)))
    return str((11 - total % 11) % 10)


@dataclass(frozen=True)
class MunicipalityCode:
    code: str  # 5 digits, as embedded in the common ID
    check_digit_ok: bool


def parse_municipality_code(raw: str | None) -> MunicipalityCode | None:
    """'131016' or '13101' → 13101. A wrong check digit is kept (files do have them) but flagged."""
    if raw is None:
        return None
    text = nfkc(raw).strip()
    if not (text.isascii() and text.isdigit() and len(text) in (5, 6)):
        return None
    code = text[:5]
    if not _is_prefecture(code[:2]):
        return None
    return MunicipalityCode(code, len(text) == 5 or check_digit(code) == text[5])


def derived_key(municipality_code: str, name: str, lat: float, lon: float) -> str:
    """A stable key for rows without a common ID: same place, same name → same key on re-import.

    Coordinates are rounded to 5 decimals (~1 m) so a re-export with more digits still matches;
    the name is NFKC-normalised without spaces so full-width/half-width variants agree.
    """
    canonical_name = _SPACES.sub("", nfkc(name))
    basis = f"{municipality_code}|{canonical_name}|{lat:.5f}|{lon:.5f}"
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]
    return f"D{municipality_code}-{digest}"


def _is_prefecture(code2: str) -> bool:
    return 1 <= int(code2) <= 47
