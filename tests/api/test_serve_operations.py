"""`otagai serve` as operators run it: JSON log lines with request ids, and /metrics that
counts every worker's requests whichever worker answers the scrape."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.server import ServerProcess


@pytest.fixture
def two_workers(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(db_url, workdir=tmp_path, workers=2)
    server.start()
    yield server
    server.stop()


def healthz_count(server: ServerProcess) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "otagai_http_requests_total" and sample.labels == {"route": "/healthz", "status": "200"}:
                return sample.value
    return 0.0


def test_two_workers_answer_metrics_summed_over_both(two_workers: ServerProcess) -> None:
    before = healthz_count(two_workers)
    with httpx.Client(base_url=two_workers.url, timeout=10) as http:
        for _ in range(20):  # new connections: the kernel spreads them over both workers
            assert httpx.get(f"{two_workers.url}/healthz", timeout=10).status_code == 200
        assert http.get("/healthz").status_code == 200

    deadline = time.monotonic() + 5
    while healthz_count(two_workers) - before < 21 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert healthz_count(two_workers) - before == 21


def test_two_workers_log_json_lines_that_carry_each_request_id(two_workers: ServerProcess) -> None:
    response = httpx.get(f"{two_workers.url}/no-such-page.html", timeout=10)
    request_id = response.headers["x-request-id"]

    deadline = time.monotonic() + 5
    entries: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        lines = two_workers.log_path.read_text(encoding="utf-8").splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        if any(e.get("requestId") == request_id for e in entries):
            break
        time.sleep(0.1)
    mine = [e for e in entries if e.get("requestId") == request_id]

    assert mine, "the request was logged"
    assert mine[0]["status"] == 404
    assert mine[0]["path"] == "/no-such-page.html"
    assert mine[0]["logger"] == "otagai.access"
