"""Fixed-window rate limits kept in this process (Redis-backed limits come with multi-worker)."""

from __future__ import annotations

import time
from collections import OrderedDict


class RateLimiter:
    def __init__(self, *, limit: int, window_seconds: float, enabled: bool = True) -> None:
        self.limit = limit
        self.window = window_seconds
        self.enabled = enabled
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def hit(self, key: str) -> float | None:
        """Count one attempt; return None when allowed, else the seconds until it is."""
        if not self.enabled:
            return None
        now = time.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        self._windows.move_to_end(key)
        while len(self._windows) > 100_000:  # bounded memory under a flood of keys
            self._windows.popitem(last=False)
        if count > self.limit:
            return max(0.0, self.window - (now - start))
        return None
