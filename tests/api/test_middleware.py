"""RequestGuard: a request id on every response, the body limit (413) and security headers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Api
from tests.support.databases import KINDS

LIMIT = 512 * 1024  # Settings.max_body_bytes
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy")


@pytest.fixture
def db_kind() -> str:
    """The middleware does not depend on the kind of database: one kind is enough."""
    return KINDS[0]


def padded_query(total_bytes: int) -> bytes:
    """A valid `me` query whose JSON body is exactly `total_bytes` long."""
    empty = json.dumps({"query": "{ me { id } }", "variables": {"pad": ""}}).encode()
    return json.dumps({"query": "{ me { id } }", "variables": {"pad": "x" * (total_bytes - len(empty))}}).encode()


async def responses_of_each_kind(api: Api) -> dict[str, httpx.Response]:
    return {
        "healthz": await api.http.get("/healthz"),
        "pwa": await api.http.get("/"),
        "graphql": await api.http.post("/graphql", json={"query": "{ me { id } }"}),
        "graphql 401": await api.http.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": "Bearer nope"}
        ),
        "graphql 400": await api.http.post(
            "/graphql", content=b"{", headers={"content-type": "application/json"}
        ),
        "413": await api.http.post(
            "/graphql", content=padded_query(LIMIT + 1), headers={"content-type": "application/json"}
        ),
    }


async def test_every_response_carries_the_security_headers(api: Api) -> None:
    responses = await responses_of_each_kind(api)

    missing = {
        name: [h for h in SECURITY_HEADERS if h not in response.headers]
        for name, response in responses.items()
    }
    assert missing == {name: [] for name in responses}
    csp = responses["pwa"].headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert responses["pwa"].headers["x-content-type-options"] == "nosniff"
    assert responses["pwa"].headers["x-frame-options"] == "DENY"


async def test_hsts_is_sent_over_https_only(api: Api) -> None:
    plain = await api.http.get("/healthz")
    secure = await api.http.get("https://otagai.test/healthz")

    assert "strict-transport-security" not in plain.headers
    assert secure.headers["strict-transport-security"].startswith("max-age=")


async def test_every_response_carries_exactly_one_request_id_of_its_own(api: Api) -> None:
    responses = await responses_of_each_kind(api)

    ids = {name: response.headers.get_list("x-request-id") for name, response in responses.items()}
    assert all(len(values) == 1 for values in ids.values()), ids
    assert len({values[0] for values in ids.values()}) == len(ids)


async def test_an_error_names_the_request_id_of_its_response(api: Api) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": "Bearer nope"}
    )

    assert response.status_code == 401
    request_id = response.json()["errors"][0]["extensions"]["requestId"]
    assert response.headers.get_list("x-request-id")[0] == request_id


async def test_a_body_over_the_limit_is_refused_with_413_json(api: Api) -> None:
    response = await api.http.post(
        "/graphql", content=padded_query(LIMIT + 1), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert error["extensions"]["maxBytes"] == LIMIT


async def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        body = padded_query(LIMIT + 1)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await api.http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_body_exactly_at_the_limit_is_accepted(api: Api) -> None:
    body = padded_query(LIMIT)
    assert len(body) == LIMIT

    response = await api.http.post("/graphql", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 200
    assert response.json() == {"data": {"me": None}}
