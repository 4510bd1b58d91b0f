"""GET /metrics: Prometheus text format — the process counters (summed over every worker when
PROMETHEUS_MULTIPROC_DIR is set) followed by gauges read from the database right now."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from backend.core import metrics
from backend.core.context import AppParts

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _counters() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _gauges(readings: list[metrics.Reading]) -> str:
    lines: list[str] = []
    described: set[str] = set()
    for r in readings:
        if r.name not in described:
            described.add(r.name)
            lines += [f"# HELP {r.name} {r.help}", f"# TYPE {r.name} gauge"]
        labels = ",".join(f'{k}="{_escape(v)}"' for k, v in r.labels)
        lines.append(f"{r.name}{{{labels}}} {r.value}" if labels else f"{r.name} {r.value}")
    return "\n".join(lines) + ("\n" if lines else "")


async def metrics_endpoint(request: Request) -> Response:
    parts: AppParts = request.app.state.parts
    async with parts.db.read_session() as session:
        readings = await metrics.read_probes(session)
    body = _counters() + _gauges(readings).encode()
    return Response(body, media_type=CONTENT_TYPE)
