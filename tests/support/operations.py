"""The shared operations in graphql/operations/, loaded by name (the file name)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


@cache
def operation(name: str) -> str:
    matches = list(OPERATIONS.glob(f"*/{name}.graphql"))
    if len(matches) != 1:
        raise LookupError(f"expected one graphql/operations/*/{name}.graphql, found {matches}")
    return matches[0].read_text(encoding="utf-8")
