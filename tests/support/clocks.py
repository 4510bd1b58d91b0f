"""Clocks a test controls: the server's (via backend.core.clock.set_clock) and a device's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass
class ServerClock:
    """The server's clock: real time shifted by `offset`, or frozen at one instant."""

    offset: timedelta = timedelta(0)
    frozen: datetime | None = None

    def __call__(self) -> datetime:
        return self.frozen if self.frozen is not None else datetime.now(UTC) + self.offset

    def freeze(self) -> datetime:
        self.frozen = datetime.now(UTC).replace(microsecond=0)
        return self.frozen

    def advance(self, delta: timedelta) -> None:
        if self.frozen is not None:
            self.frozen += delta
        self.offset += delta


@dataclass
class DeviceClock:
    """What a phone's clock shows (an OutboxClient's `clock`), set by the test."""

    shows: datetime

    def __call__(self) -> datetime:
        return self.shows
