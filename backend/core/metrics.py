"""Prometheus-style metrics (issue 8 "Operations"): counters the domains increment, and
gauges read from the database when /metrics is scraped.

prometheus_client is used rather than our own text format because it handles several
uvicorn workers: with PROMETHEUS_MULTIPROC_DIR set (`otagai serve --workers N` sets it) every
worker's counters are summed at scrape time, whichever worker answers the scrape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

HTTP_REQUESTS = Counter(
    "otagai_http_requests", "HTTP requests answered, by route group and status code", ["route", "status"]
)
HTTP_SECONDS = Histogram(
    "otagai_http_request_seconds", "Time to answer an HTTP request, by route group", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SYNC_ACTIONS = Counter(
    "otagai_sync_actions", "Pushed offline actions, by result status (APPLIED, REJECTED, …)", ["status"]
)
PULL_LAG = Histogram(
    "otagai_pull_lag_seconds",
    "Pull lag: age of the oldest change in each pulled page (how far behind devices are)",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400),
)


@dataclass(frozen=True)
class Reading:
    """One gauge value read from the database at scrape time."""

    name: str
    help: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


# A domain's gauges (e.g. the push delivery queue depth), read in one read transaction.
Probe = Callable[[AsyncSession], Awaitable[list[Reading]]]
_PROBES: list[Probe] = []


def add_probe(probe: Probe) -> None:
    if probe not in _PROBES:
        _PROBES.append(probe)


async def read_probes(session: AsyncSession) -> list[Reading]:
    readings: list[Reading] = []
    for probe in _PROBES:
        readings.extend(await probe(session))
    return readings
