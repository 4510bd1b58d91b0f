"""Read single cells the way municipal spreadsheets actually write them.

Every function takes the raw cell text and returns a clean value or None; none of them raise,
so one odd cell never sinks a row — the caller decides whether a None is fatal.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

# Japan including outlying islands (Okinotorishima ~20.4°N, Minamitorishima ~154.0°E).
LAT_RANGE = (20.0, 46.0)
LON_RANGE = (122.0, 154.0)

_TRUE = frozenset({"1", "○", "◯", "〇", "有", "あり"})
_FALSE = frozenset({"", "0", "×", "✕", "無", "なし", "-"})
_PLACEHOLDERS = frozenset({"", "-", "ー", "―", "なし", "不明"})
# Plain digits or properly grouped thousands; a spreadsheet's "1234.0" is still a count.
_COUNT = re.compile(r"([0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.0+)?")
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]+")
_SPACES = re.compile(r"\s+")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def clean_text(raw: str | None) -> str | None:
    """Strip surrounding whitespace (ASCII and full-width); empty or placeholder cells are None."""
    if raw is None:
        return None
    text = raw.strip()  # str.strip() also removes the full-width space U+3000
    return None if text in _PLACEHOLDERS else text


def parse_count(raw: str | None) -> int | None:
    """'50,700 ' → 50700; full-width digits, a trailing 人 and '1,234.0' are accepted too."""
    text = clean_text(raw)
    if text is None:
        return None
    match = _COUNT.fullmatch(nfkc(text).replace(" ", "").removesuffix("人"))
    return int(match.group(1).replace(",", "")) if match else None


def parse_flag(raw: str | None) -> bool | None:
    """'1'/'○'/'◯'/'〇' → True, ''/'0'/'×' → False; anything else is unknown (None)."""
    text = nfkc(raw or "").strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def parse_code(raw: str | None) -> str | None:
    """A code such as '001' or '0000000101' stays text: leading zeros are part of it."""
    text = clean_text(raw)
    return nfkc(text).replace(" ", "") if text is not None else None


def widen_kana(text: str) -> str:
    """Half-width katakana (ｹﾝﾘﾂ) → full-width (ケンリツ), leaving the rest of a name as published."""
    return _HALFWIDTH_KANA.sub(lambda run: nfkc(run.group()), text)


def kana_name(raw: str | None) -> str | None:
    text = clean_text(raw)
    return _SPACES.sub(" ", nfkc(text)) if text is not None else None


def display_text(raw: str | None) -> str | None:
    """Names and addresses keep the publisher's wording; only half-width kana is widened."""
    text = clean_text(raw)
    return widen_kana(text) if text is not None else None


def parse_phone(raw: str | None) -> str | None:
    text = clean_text(raw)
    return nfkc(text).replace(" ", "") if text is not None else None


def parse_degrees(raw: str | None) -> float | None:
    text = clean_text(raw)
    if text is None:
        return None
    try:
        value = float(nfkc(text).replace(" ", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Coordinates:
    lat: float
    lon: float
    swapped: bool = False


def in_japan(lat: float, lon: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


def check_coordinates(lat: float, lon: float) -> Coordinates | None:
    """Accept a point inside Japan; a lat/lon pair written the wrong way round is swapped back."""
    if in_japan(lat, lon):
        return Coordinates(lat, lon)
    if in_japan(lon, lat):
        return Coordinates(lon, lat, swapped=True)
    return None


def split_list(raw: str | None, separators: str = ";；") -> tuple[str, ...]:
    """'A町会;B自治会；' → ('A町会', 'B自治会'); empty items and duplicates are dropped."""
    text = clean_text(raw)
    if text is None:
        return ()
    parts = re.split("[" + re.escape(separators) + "]", text)
    items = (clean_text(part) for part in parts)
    return tuple(dict.fromkeys(item for item in items if item))
