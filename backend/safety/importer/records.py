"""What the parser hands to the database side: immutable, comparable, database-free records.

Records compare equal when the source data is equal, which is what makes re-import idempotent:
the importer upserts on `key` and a second run finds nothing to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ShelterKind(StrEnum):
    SHELTER = "SHELTER"  # 指定避難所: stay for days
    EVACUATION_SITE = "EVACUATION_SITE"  # 指定緊急避難場所: flee to now
    BOTH = "BOTH"  # designated as both (指定避難所との重複)


class Hazard(StrEnum):
    """The eight hazard columns of the standard (災害種別_…); OTHER is Tokyo's その他 column."""

    FLOOD = "FLOOD"  # 洪水
    LANDSLIDE = "LANDSLIDE"  # 崖崩れ、土石流及び地滑り
    STORM_SURGE = "STORM_SURGE"  # 高潮
    EARTHQUAKE = "EARTHQUAKE"  # 地震
    TSUNAMI = "TSUNAMI"  # 津波
    LARGE_FIRE = "LARGE_FIRE"  # 大規模な火事
    INLAND_FLOOD = "INLAND_FLOOD"  # 内水氾濫
    VOLCANO = "VOLCANO"  # 火山現象
    OTHER = "OTHER"  # その他


class Accessibility(StrEnum):
    """Tokyo's accessibility flags, written ○ in the metropolitan file."""

    ELEVATOR_OR_GROUND_FLOOR = "ELEVATOR_OR_GROUND_FLOOR"  # エレベーター有/避難スペースが１階
    SLOPE = "SLOPE"  # スロープ等
    TACTILE_PAVING = "TACTILE_PAVING"  # 点字ブロック
    ACCESSIBLE_TOILET = "ACCESSIBLE_TOILET"  # 車椅子使用者対応トイレ


@dataclass(frozen=True)
class ShelterRecord:
    common_id: str | None  # the 14-character national ID when the file carries a valid one
    derived_key: str  # always computed, so a row can later be matched to its common ID
    municipality_code: str  # 5 digits (JIS X 0402 without the check digit)
    name: str
    name_kana: str | None
    name_en: str | None
    address: str | None  # verbatim: Tokyo's wide-area sites name several wards
    lat: float
    lon: float
    capacity: int | None
    kind: ShelterKind
    welfare: bool  # 福祉避難所
    hazards: frozenset[Hazard]
    associations: tuple[str, ...]  # 対象となる町会・自治会, in file order
    phone: str | None
    source_format: str
    source_row: int  # spreadsheet row number (1-based, header rows included)
    local_id: str | None = None  # the publisher's own number, zero padding kept ("001")
    accessibility: frozenset[Accessibility] = frozenset()

    @property
    def key(self) -> str:
        """The upsert key: the national ID when known, else the derived key."""
        return self.common_id or self.derived_key


class SkipReason(StrEnum):
    MISSING_NAME = "MISSING_NAME"
    MISSING_COORDINATES = "MISSING_COORDINATES"
    INVALID_COORDINATES = "INVALID_COORDINATES"
    OUTSIDE_JAPAN = "OUTSIDE_JAPAN"
    MISSING_MUNICIPALITY = "MISSING_MUNICIPALITY"
    DUPLICATE = "DUPLICATE"


@dataclass(frozen=True)
class SkippedRow:
    row_number: int
    reason: SkipReason
    detail: str  # what the operator reads: names the value that was wrong
    name: str | None = None

    def __str__(self) -> str:
        label = f" ({self.name})" if self.name else ""
        return f"row {self.row_number}{label}: {self.detail}"


@dataclass(frozen=True)
class RowWarning:
    """A row that was imported, but with something the operator should look at."""

    row_number: int
    detail: str

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.detail}"


@dataclass(frozen=True)
class ParseResult:
    records: tuple[ShelterRecord, ...]
    skipped: tuple[SkippedRow, ...]
    format: str
    encoding: str
    header_row: int
    warnings: tuple[RowWarning, ...] = ()

    def skip_counts(self) -> dict[SkipReason, int]:
        """Skipped rows per reason, most frequent first — the summary line of a report."""
        counts: dict[SkipReason, int] = {}
        for row in self.skipped:
            counts[row.reason] = counts.get(row.reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
