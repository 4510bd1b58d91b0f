"""The committed graphql/schema.graphql is the schema the production registry builds."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from backend.api.registry import build_registry
from backend.api.schema import schema_sdl

COMMITTED = Path(__file__).resolve().parents[1] / "graphql" / "schema.graphql"


def test_the_committed_sdl_matches_the_schema_the_code_builds() -> None:
    generated = schema_sdl(build_registry())
    committed = COMMITTED.read_text(encoding="utf-8")

    if committed != generated:
        diff = "".join(
            list(difflib.unified_diff(
                committed.splitlines(keepends=True), generated.splitlines(keepends=True),
                "graphql/schema.graphql (committed)", "schema built from the code",
            ))[:60]
        )
        pytest.fail(f"graphql/schema.graphql is stale: run `make schema` and commit it.\n{diff}", pytrace=False)
