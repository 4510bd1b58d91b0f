"""Query limits of the schema: depth, aliases and tokens are refused before anything runs."""

from __future__ import annotations

import pytest

from backend.api.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from tests.conftest import Api
from tests.support.databases import KINDS


@pytest.fixture
def db_kind() -> str:
    """Validation does not depend on the kind of database: one kind is enough."""
    return KINDS[0]


def nested(depth: int) -> str:
    """`me { roles { x { … { y } } } }` with its leaf at `depth` (the root field is at 0).

    The schema has no cycle, so the inner fields are unknown; the depth rule reads the
    document alone, and its error must be among the answers."""
    xs = depth - 2
    return "query Deep { me { roles { " + "x { " * xs + "y" + " }" * xs + " } } }"


async def test_a_query_deeper_than_the_limit_is_refused(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": nested(MAX_DEPTH + 1)})

    assert response.status_code == 200
    body = response.json()
    assert body.get("data") is None
    messages = [e["message"] for e in body["errors"]]
    assert f"'Deep' exceeds maximum operation depth of {MAX_DEPTH}" in messages


async def test_a_query_at_the_depth_limit_is_not_refused_for_its_depth(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": nested(MAX_DEPTH)})

    messages = [e["message"] for e in response.json()["errors"]]
    assert not any("depth" in m for m in messages), messages


async def test_more_aliases_than_the_limit_are_refused(api: Api) -> None:
    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(count)) + " }"

    at_limit = await api.http.post("/graphql", json={"query": aliased(MAX_ALIASES)})
    over = await api.http.post("/graphql", json={"query": aliased(MAX_ALIASES + 1)})

    assert at_limit.json() == {"data": {f"a{i}": None for i in range(MAX_ALIASES)}}
    assert over.status_code == 200
    assert over.json().get("data") is None
    assert [e["message"] for e in over.json()["errors"]] == [
        f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"
    ]


async def test_a_document_of_too_many_tokens_is_refused(api: Api) -> None:
    query = "{ " + " ".join("me { id }" for _ in range(MAX_TOKENS // 4 + 1)) + " }"

    response = await api.http.post("/graphql", json={"query": query})

    assert response.status_code == 200
    assert response.json().get("data") is None
    [error] = response.json()["errors"]
    assert f"more than {MAX_TOKENS} tokens" in error["message"]
