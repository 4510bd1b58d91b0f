"""GET /metrics: request counts, pushed actions by result, pull lag and database gauges."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.core import metrics
from tests.conftest import Api


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


@pytest.fixture
def queue_probe() -> Iterator[None]:
    async def probe(_: object) -> list[metrics.Reading]:
        return [metrics.Reading("otagai_test_queue_depth", "A test gauge", 7.0, (("kind", "test"),))]

    metrics.add_probe(probe)  # type: ignore[arg-type]
    yield
    metrics._PROBES.remove(probe)  # type: ignore[arg-type]


async def test_metrics_count_pushed_actions_by_result(api: Api) -> None:
    before = await scrape(api)
    phone = await api.device("metrics@example.jp")
    phone.enqueue("updateProfile", {"displayName": "計測 太郎"})
    phone.enqueue("updateProfile", {"displayName": ""})  # rejected: VALIDATION
    await phone.drain()

    after = await scrape(api)

    def gained(status: str) -> float:
        key = ("otagai_sync_actions_total", (("status", status),))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert gained("APPLIED") == 1
    assert gained("REJECTED") == 1


async def test_metrics_count_requests_by_route_group_and_status(api: Api) -> None:
    before = await scrape(api)
    await api.http.get("/healthz")
    await api.http.get("/no-such-page.html")

    after = await scrape(api)

    def gained(route: str, status: str) -> float:
        key = ("otagai_http_requests_total", (("route", route), ("status", status)))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert gained("/healthz", "200") == 1
    assert gained("static", "404") == 1
    assert ("otagai_http_request_seconds_count", (("route", "/healthz"),)) in after


async def test_a_pull_records_how_old_the_changes_it_delivers_are(api: Api) -> None:
    phone = await api.device("lag@example.jp")
    phone.enqueue("updateProfile", {"displayName": "遅延 花子"})
    await phone.drain()
    before = await scrape(api)

    await phone.pull_all()

    after = await scrape(api)
    key = ("otagai_pull_lag_seconds_count", ())
    assert after[key] - before.get(key, 0.0) >= 1


async def test_metrics_include_gauges_that_domains_read_from_the_database(api: Api, queue_probe: None) -> None:
    after = await scrape(api)

    assert after[("otagai_test_queue_depth", (("kind", "test"),))] == 7.0
