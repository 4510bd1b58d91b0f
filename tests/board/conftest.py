"""Board tests register many residents: hash their passwords cheaply. Posting rate limits are
off (OTAGAI_RATE_LIMITS=off) except in the test that turns them on."""

from __future__ import annotations

import pytest

from tests.support.passwords import cheap_password_hashing

__all__ = ["cheap_password_hashing"]


@pytest.fixture(autouse=True)
def _board_defaults(cheap_password_hashing: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTAGAI_RATE_LIMITS", "off")
