"""Find the header row and map columns by name.

Headers are not always on line 1 (title rows such as 「都立一時滞在施設一覧」 come first), header
cells can contain line breaks, and files can carry unnamed columns; the header is therefore
searched for in the first rows by the names it must contain, never assumed by position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backend.safety.importer.errors import RefusedFile, UnknownFormat
from backend.safety.importer.formats import (
    FORMATS_BY_NAME,
    SHELTER_FORMATS,
    Field,
    ShelterFormat,
    normalise_header,
)
from backend.safety.importer.refused import REFUSED_FORMATS

# Title rows seen in real files number two at most; ten leaves room without scanning data.
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class Layout:
    format: ShelterFormat
    header_index: int  # 0-based index of the header record
    columns: dict[str, int]  # normalised header name → first column holding it
    width: int  # number of header cells, unnamed ones included
    unnamed: tuple[int, ...]  # columns with an empty header cell (Matsuyama's stray column)

    def indices_of(self, field: Field) -> tuple[int, ...]:
        """Positions of the columns that may hold `field`, in the format's order of preference."""
        found = (
            self.columns.get(normalise_header(name)) for name in self.format.columns.get(field, ())
        )
        return tuple(index for index in found if index is not None)

    def index_of_name(self, name: str) -> int | None:
        return self.columns.get(normalise_header(name))


def find_layout(records: Sequence[Sequence[str]], format_name: str = "auto") -> Layout:
    """Locate the header among the first rows and bind it to a known shelter format.

    Raises RefusedFile for a recognised non-shelter dataset and UnknownFormat otherwise.
    """
    forced = _forced_format(format_name)
    candidates = (forced,) if forced is not None else SHELTER_FORMATS
    for index, row in enumerate(records[:HEADER_SEARCH_ROWS]):
        headers = frozenset(normalise_header(cell) for cell in row) - {""}
        for spec in candidates:
            if spec.matches(headers):
                return _layout(spec, index, row)
        if forced is None:
            for refused in REFUSED_FORMATS:
                if refused.matches(headers):
                    raise RefusedFile(refused.title, refused.reason)
    raise UnknownFormat(_unknown_message(records, forced))


def _forced_format(format_name: str) -> ShelterFormat | None:
    if format_name == "auto":
        return None
    spec = FORMATS_BY_NAME.get(format_name)
    if spec is None:
        known = ", ".join(["auto", *FORMATS_BY_NAME])
        raise UnknownFormat(f"unknown format {format_name!r}; expected one of: {known}")
    return spec


def _layout(spec: ShelterFormat, index: int, row: Sequence[str]) -> Layout:
    columns: dict[str, int] = {}
    unnamed: list[int] = []
    for position, cell in enumerate(row):
        name = normalise_header(cell)
        if not name:
            unnamed.append(position)
        else:
            columns.setdefault(name, position)
    return Layout(spec, index, columns, len(row), tuple(unnamed))


def _unknown_message(records: Sequence[Sequence[str]], forced: ShelterFormat | None) -> str:
    seen = next((row for row in records[:HEADER_SEARCH_ROWS] if any(c.strip() for c in row)), [])
    first = ", ".join(normalise_header(cell) for cell in seen[:8]) or "(empty file)"
    if forced is not None:
        expected = [forced]
        lead = f"no header row of format {forced.name!r} in the first {HEADER_SEARCH_ROWS} rows"
    else:
        expected = list(SHELTER_FORMATS)
        lead = f"no known shelter or evacuation-site header in the first {HEADER_SEARCH_ROWS} rows"
    lines = [f"{lead}; the first row starts: {first}", "expected one of:"]
    lines += [
        f"  {spec.name}: {spec.title} — columns {', '.join(spec.signature)}" for spec in expected
    ]
    return "\n".join(lines)
