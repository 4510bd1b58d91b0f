"""Parse a shelter or evacuation-site CSV into records and a report of what was skipped.

Pure: reads one file, touches no database. The database side upserts `record.key`, so a
second import of the same file yields equal records and changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from backend.safety.importer.decoding import decode_bytes
from backend.safety.importer.errors import UnknownFormat
from backend.safety.importer.layout import find_layout
from backend.safety.importer.records import (
    ParseResult,
    RowWarning,
    ShelterRecord,
    SkippedRow,
    SkipReason,
)
from backend.safety.importer.rows import read_row


def parse_file(path: Path | str, *, format: str = "auto", encoding: str = "auto") -> ParseResult:
    """Parse the file at `path`; see `parse_bytes`."""
    return parse_bytes(Path(path).read_bytes(), format=format, encoding=encoding)


def parse_bytes(data: bytes, *, format: str = "auto", encoding: str = "auto") -> ParseResult:
    """Detect encoding and layout, then read every data row.

    Raises UndecodableFile, UnknownFormat or RefusedFile (all ShelterFileError) when the file
    as a whole cannot be imported. Row numbers are spreadsheet rows: 1-based, counting the
    header and any title rows, so an operator can find them in Excel.
    """
    decoded = decode_bytes(data, encoding)
    table = _records(decoded.text)
    layout = find_layout(table, format)
    records: list[ShelterRecord] = []
    skipped: list[SkippedRow] = []
    warnings: dict[str, list[int]] = {}
    first_row_of: dict[str, int] = {}
    for index in range(layout.header_index + 1, len(table)):
        cells = table[index]
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are layout (Tokyo's line after the header), not data
        row_number = index + 1
        outcome, row_warnings = read_row(layout, cells, row_number)
        for detail in row_warnings:
            warnings.setdefault(detail, []).append(row_number)
        if isinstance(outcome, SkippedRow):
            skipped.append(outcome)
            continue
        first = first_row_of.setdefault(outcome.key, row_number)
        if first != row_number:
            skipped.append(_duplicate(outcome, first))
            continue
        records.append(outcome)
    return ParseResult(
        records=tuple(records),
        skipped=tuple(skipped),
        format=layout.format.name,
        encoding=decoded.encoding,
        header_row=layout.header_index + 1,
        warnings=_summarise(warnings),
    )


def _records(text: str) -> Sequence[list[str]]:
    # newline="" keeps line breaks inside quoted cells (Tokyo's header) for the csv module.
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise UnknownFormat(f"the file is not readable as CSV: {error}") from None


def _duplicate(record: ShelterRecord, first_row: int) -> SkippedRow:
    what = f"common ID {record.common_id}" if record.common_id else "name and coordinates"
    return SkippedRow(
        record.source_row,
        SkipReason.DUPLICATE,
        f"same {what} as row {first_row}; the first row was kept",
        record.name,
    )


def _summarise(warnings: dict[str, list[int]]) -> tuple[RowWarning, ...]:
    """One warning per distinct message, so a file-wide quirk is reported once, not 200 times."""
    summary = []
    for detail, rows in warnings.items():
        more = f" (also {len(rows) - 1} more rows)" if len(rows) > 1 else ""
        summary.append(RowWarning(rows[0], detail + more))
    return tuple(sorted(summary, key=lambda warning: warning.row_number))
