"""is_uuid answers as uuid.UUID does, for the canonical form it checks first and for the rest."""

from __future__ import annotations

import uuid

import pytest

from backend.core.ids import is_uuid, new_id, uuid7

SAMPLE = uuid.UUID("0b7e3f4a-2c1d-4e5f-8a9b-0c1d2e3f4a5b")


@pytest.mark.parametrize("value", [
    str(SAMPLE), str(SAMPLE).upper(), "{" + str(SAMPLE) + "}", "urn:uuid:" + str(SAMPLE), SAMPLE.hex,
    str(SAMPLE) + "\n", " " + str(SAMPLE), str(SAMPLE)[:-1], str(SAMPLE) + "0",
    "0b7e3f4a-2c1d-4e5f-8a9b-0c1d2e3f4a5g", "", "x", None, 5,
])
def test_is_uuid_agrees_with_uuid_parsing(value: object) -> None:
    try:
        uuid.UUID(value)  # type: ignore[arg-type]
        expected = True
    except (ValueError, AttributeError, TypeError):
        expected = False
    assert is_uuid(value) is expected  # type: ignore[arg-type]


def test_the_ids_we_make_are_uuids() -> None:
    assert all(is_uuid(made) for made in (new_id(), uuid7()))
