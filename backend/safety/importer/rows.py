"""Turn one data row into a ShelterRecord, or say exactly why it cannot be one.

A row is skipped only when it cannot be placed on a map or named (no name, no usable
coordinates, no municipality to key it by); anything else odd becomes a warning so a shelter
is never lost over, say, a capacity written 「約500」.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from backend.safety.importer import values
from backend.safety.importer.common_id import (
    CommonId,
    derived_key,
    parse_common_id,
    parse_municipality_code,
)
from backend.safety.importer.formats import Field
from backend.safety.importer.layout import Layout
from backend.safety.importer.records import (
    ShelterKind,
    ShelterRecord,
    SkippedRow,
    SkipReason,
)

_Flag = TypeVar("_Flag", bound=StrEnum)


class RowSkipped(Exception):
    def __init__(self, reason: SkipReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class RowReader:
    """One row seen through a layout; collects warnings as it reads."""

    layout: Layout
    cells: Sequence[str]
    row_number: int
    warnings: list[str] = field(default_factory=list)

    def cell(self, wanted: Field) -> str | None:
        """The first non-empty cell among the columns that may hold `wanted`."""
        for index in self.layout.indices_of(wanted):
            text = values.clean_text(self._at(index))
            if text is not None:
                return text
        return None

    def label(self, wanted: Field) -> str:
        return self.layout.format.columns.get(wanted, (wanted.value,))[0]

    def flags(self, columns: Mapping[str, _Flag]) -> frozenset[_Flag]:
        found: set[_Flag] = set()
        for name, flag in columns.items():
            index = self.layout.index_of_name(name)
            if index is None:
                continue
            raw = self._at(index)
            value = values.parse_flag(raw)
            if value is None:
                self.warnings.append(f"{name} value {raw!r} is not a flag; read as no")
            elif value:
                found.add(flag)
        return frozenset(found)

    def overflow(self) -> list[str]:
        return [cell for cell in self.cells[self.layout.width :] if cell.strip()]

    def _at(self, index: int) -> str | None:
        return self.cells[index] if index < len(self.cells) else None


def read_row(
    layout: Layout, cells: Sequence[str], row_number: int
) -> tuple[ShelterRecord | SkippedRow, list[str]]:
    """The record (or the skip) for one data row, plus warnings about the row."""
    reader = RowReader(layout, cells, row_number)
    name = values.display_text(reader.cell(Field.NAME))
    try:
        return _record(reader, name), reader.warnings
    except RowSkipped as skip:
        return SkippedRow(row_number, skip.reason, skip.detail, name), reader.warnings


def _record(reader: RowReader, name: str | None) -> ShelterRecord:
    if name is None:
        raise RowSkipped(SkipReason.MISSING_NAME, f"no facility name in {reader.label(Field.NAME)}")
    lat, lon = _coordinates(reader)
    common_id, local_id = _identity(reader)
    municipality = _municipality(reader, common_id)
    spec = reader.layout.format
    if extra := reader.overflow():
        reader.warnings.append(f"{len(extra)} cell(s) beyond the header ignored: {extra[:3]}")
    return ShelterRecord(
        common_id=common_id.value if common_id else None,
        derived_key=derived_key(municipality, name, lat, lon),
        municipality_code=municipality,
        name=name,
        name_kana=values.kana_name(reader.cell(Field.NAME_KANA)),
        name_en=reader.cell(Field.NAME_EN),
        address=_address(reader),
        lat=lat,
        lon=lon,
        capacity=_capacity(reader),
        kind=_kind(reader, common_id),
        welfare=(common_id is not None and common_id.welfare)
        or reader.cell(Field.WELFARE_TARGETS) is not None,
        hazards=reader.flags(spec.hazards),
        associations=values.split_list(reader.cell(Field.ASSOCIATIONS)),
        phone=values.parse_phone(reader.cell(Field.PHONE)),
        source_format=spec.name,
        source_row=reader.row_number,
        local_id=local_id,
        accessibility=reader.flags(spec.accessibility),
    )


def _coordinates(reader: RowReader) -> tuple[float, float]:
    lat_raw, lon_raw = reader.cell(Field.LAT), reader.cell(Field.LON)
    if lat_raw is None or lon_raw is None:
        missing = reader.label(Field.LAT) if lat_raw is None else reader.label(Field.LON)
        raise RowSkipped(SkipReason.MISSING_COORDINATES, f"no coordinates ({missing} is empty)")
    lat, lon = values.parse_degrees(lat_raw), values.parse_degrees(lon_raw)
    if lat is None or lon is None:
        raise RowSkipped(
            SkipReason.INVALID_COORDINATES, f"coordinates {lat_raw!r}, {lon_raw!r} are not numbers"
        )
    checked = values.check_coordinates(lat, lon)
    if checked is None:
        raise RowSkipped(SkipReason.OUTSIDE_JAPAN, f"coordinates {lat}, {lon} are outside Japan")
    if checked.swapped:
        reader.warnings.append(f"latitude and longitude were swapped ({lat}, {lon}); corrected")
    return checked.lat, checked.lon


def _identity(reader: RowReader) -> tuple[CommonId | None, str | None]:
    local_id = values.parse_code(reader.cell(Field.LOCAL_ID))
    raw = values.parse_code(reader.cell(Field.COMMON_ID))
    common_id = parse_common_id(raw)
    if raw is not None and common_id is None:
        reader.warnings.append(
            f"{reader.label(Field.COMMON_ID)} {raw!r} is not a national common ID; "
            "kept as the local id and keyed by a derived key"
        )
        local_id = local_id or raw
    return common_id, local_id


def _municipality(reader: RowReader, common_id: CommonId | None) -> str:
    raw = reader.cell(Field.MUNICIPALITY_CODE)
    code = values.parse_code(raw)
    parsed = parse_municipality_code(code)
    if parsed is None:
        if common_id is not None:
            return common_id.municipality_code
        label = reader.label(Field.MUNICIPALITY_CODE)
        if not reader.layout.indices_of(Field.MUNICIPALITY_CODE):
            problem = "the file has no municipality code column"
        elif raw is None:
            problem = f"{label} is empty"
        else:
            problem = f"{label} {raw!r} is not a municipality code"
        raise RowSkipped(
            SkipReason.MISSING_MUNICIPALITY,
            f"cannot key the row: {problem} and there is no valid common ID",
        )
    if not parsed.check_digit_ok:
        reader.warnings.append(
            f"municipality code {code} has a wrong check digit; keyed by its first five digits "
            f"{parsed.code}"
        )
    if common_id is not None and common_id.municipality_code != parsed.code:
        reader.warnings.append(
            f"common ID {common_id.value} belongs to municipality {common_id.municipality_code}, "
            f"the row says {parsed.code}"
        )
    return parsed.code


def _kind(reader: RowReader, common_id: CommonId | None) -> ShelterKind:
    kind = reader.layout.format.kind
    if common_id is not None and common_id.kind is not kind:
        reader.warnings.append(
            f"common ID {common_id.value} is of kind {common_id.kind}, the file lists {kind}"
        )
    overlap_raw = reader.cell(Field.OVERLAP)
    overlap = values.parse_flag(overlap_raw)
    if overlap is None:
        reader.warnings.append(
            f"{reader.label(Field.OVERLAP)} value {overlap_raw!r} is not a flag; read as no"
        )
    return ShelterKind.BOTH if overlap else kind


def _capacity(reader: RowReader) -> int | None:
    raw = reader.cell(Field.CAPACITY)
    capacity = values.parse_count(raw)
    if raw is not None and capacity is None:
        reader.warnings.append(
            f"{reader.label(Field.CAPACITY)} {raw!r} is not a number; capacity left empty"
        )
    return capacity


def _address(reader: RowReader) -> str | None:
    joined = values.display_text(reader.cell(Field.ADDRESS))
    if joined is not None:
        return joined
    parts = (reader.layout.index_of_name(name) for name in reader.layout.format.address_parts)
    texts = (
        values.clean_text(reader.cells[i]) for i in parts if i is not None and i < len(reader.cells)
    )
    combined = "".join(text for text in texts if text)
    return values.display_text(combined)
