"""The graphql-http package's server audits (GraphQL over HTTP), run with Node.js against a
real `otagai serve`: every audit passes, the SHOULDs included."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.support.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
AUDIT = Path(__file__).with_name("audits") / "graphql_http_audit.mjs"


@pytest.fixture
def db_kind() -> str:
    """The audits concern HTTP, not storage: SQLite is enough."""
    return "sqlite"


def test_every_graphql_over_http_audit_passes(db_url: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js runs the audits (make test installs it with the PWA packages)"
    server = ServerProcess(db_url, workdir=tmp_path)
    server.start()
    try:
        done = subprocess.run([node, str(AUDIT), f"{server.url}/graphql"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.stop()

    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(results) >= 50
    assert [r for r in results if r["status"] != "ok"] == []


async def test_a_graphql_response_json_client_gets_400_without_data_for_a_bad_document(api: Api) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "{ me { id "},
        headers={"accept": "application/graphql-response+json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in response.json() and response.json()["errors"]


async def test_a_plain_json_client_keeps_200_for_a_bad_document(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": "{ me { id "}, headers={"accept": "application/json"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"]


async def test_a_graphql_response_json_client_gets_its_media_type_on_success(api: Api) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "{ me { id } }"},
        headers={"accept": "application/graphql-response+json, application/json;q=0.9"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert response.json() == {"data": {"me": None}}
