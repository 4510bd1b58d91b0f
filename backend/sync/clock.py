"""Clock correction: a device's clock is data, measured on every push, never trusted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.core.clock import as_utc


@dataclass(frozen=True)
class Correction:
    offset: timedelta

    @property
    def offset_ms(self) -> float:
        return self.offset / timedelta(milliseconds=1)

    def correct(self, client_time: datetime, received_at: datetime) -> tuple[datetime, bool]:
        """Client time on the server's clock; future times are clamped and flagged."""
        corrected = as_utc(client_time) + self.offset
        if corrected > received_at:
            return received_at, True
        return corrected, False


def measure(server_time: datetime, sent_at: datetime) -> Correction:
    """Offset = serverTime − sentAt (the device's clock when it sent the batch)."""
    return Correction(offset=server_time - as_utc(sent_at))
