"""The pure, database-free half of `otagai shelters import`: bytes in, ShelterRecords out.

decoding → layout (formats, refused) → rows (values, common_id) → parse; records.py holds the
shapes the database side consumes.
"""

from backend.safety.importer.errors import (
    RefusedFile,
    ShelterFileError,
    UndecodableFile,
    UnknownFormat,
)
from backend.safety.importer.formats import FORMATS_BY_NAME
from backend.safety.importer.parse import parse_bytes, parse_file
from backend.safety.importer.records import (
    Accessibility,
    Hazard,
    ParseResult,
    RowWarning,
    ShelterKind,
    ShelterRecord,
    SkippedRow,
    SkipReason,
)

__all__ = [
    "FORMATS_BY_NAME",
    "Accessibility",
    "Hazard",
    "ParseResult",
    "RefusedFile",
    "RowWarning",
    "ShelterFileError",
    "ShelterKind",
    "ShelterRecord",
    "SkipReason",
    "SkippedRow",
    "UndecodableFile",
    "UnknownFormat",
    "parse_bytes",
    "parse_file",
]
