"""Street order (door to door) for the leader's lists: 駒込3-1-2 before 駒込3-1-10.

`street_order` compares in Python; `sort_key` is the same order as one string, stored on each
household (`household.street_key`, compared byte-wise: COLLATE "C" on PostgreSQL, BINARY on
SQLite) so that the database walks a leader's list in street order from an index, a page at
a time, with the key itself as the cursor.
"""

from __future__ import annotations

import functools
import re

_PARTS = re.compile(r"\d+|\D+")
_CONTROL = re.compile(r"[\x00-\x1f]")
# Markers below every printable character: the end of the address (then the label, then the
# id), a number, a text part. A shorter address sorts first; numbers before text, as in
# `street_order`.
END, _NUMBER, _TEXT = "\x01", "\x02", "\x03"


@functools.lru_cache(maxsize=65536)  # pure; a leader's screen asks for the same streets again
def street_order(address: str) -> tuple[tuple[int, object], ...]:
    """Digits compare as numbers, the rest as text."""
    return tuple((0, int(p)) if p.isdecimal() else (1, p) for p in _PARTS.findall(address))


def sort_key(address: str, label: str, household_id: str) -> str:
    """(street_order(address), label, id) as one string that sorts the same way byte-wise.

    A number becomes its digit count (3 digits) and its digits without leading zeros, so 2 <
    10 as text too; control characters, which would collide with the markers, are dropped."""
    parts = []
    for kind, value in street_order(address):
        if kind == 0:
            digits = str(value)
            parts.append(f"{_NUMBER}{len(digits):03d}{digits}")
        else:
            parts.append(_TEXT + _CONTROL.sub("", str(value)))
    return "".join(parts) + END + _CONTROL.sub("", label) + END + household_id
