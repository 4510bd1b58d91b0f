"""Fixtures of the sync scenarios: a movable server clock, the flaky test action, cheap hashes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.core.clock import set_clock
from tests.support import test_actions
from tests.support.clocks import ServerClock
from tests.support.passwords import cheap_password_hashing

__all__ = ["cheap_password_hashing"]


@pytest.fixture(autouse=True)
def _hash_cheaply(cheap_password_hashing: None) -> None:
    """Scenarios register many accounts; the real argon2 parameters are tested in accounts."""


@pytest.fixture
def server_clock() -> Iterator[ServerClock]:
    """The server's clock, restored to the real one after the test."""
    clock = ServerClock()
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(None)


@pytest.fixture
def flaky() -> Iterator[dict[str, int]]:
    """`testFlaky` fails transiently while flaky["remaining"] > 0."""
    test_actions.FLAKY["remaining"] = 0
    try:
        yield test_actions.FLAKY
    finally:
        test_actions.FLAKY["remaining"] = 0
