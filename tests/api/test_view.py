"""The GraphQL-over-HTTP view: request errors, GET, and who the bearer token says you are."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Api
from tests.support.databases import KINDS
from tests.support.operations import operation


@pytest.fixture
def db_kind() -> str:
    """The HTTP protocol does not depend on the kind of database: one kind is enough."""
    return KINDS[0]


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"]


# -- request errors (GraphQL-over-HTTP, application/json) ---------------------------------


async def test_malformed_json_is_a_400_not_a_500(api: Api) -> None:
    response = await api.http.post(
        "/graphql", content=b'{"query": "{ me { id } }"', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400


async def test_a_body_without_a_query_is_a_400(api: Api) -> None:
    response = await api.http.post("/graphql", json={"variables": {}})

    assert response.status_code == 400


async def test_a_syntax_error_is_answered_with_graphql_errors_and_no_data(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": "{ me { id "})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["message"].startswith("Syntax Error")
    assert error["locations"] == [{"line": 1, "column": 11}]


async def test_an_unknown_field_is_a_validation_error_with_its_location(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": "{ me { id } nope }"})

    assert response.status_code == 200
    body = response.json()
    assert body.get("data") is None
    [error] = body["errors"]
    assert "nope" in error["message"]
    assert error["locations"] == [{"line": 1, "column": 13}]


async def test_a_variable_of_the_wrong_type_is_reported_to_the_client_not_masked(api: Api) -> None:
    wrong_type = await api.http.post(
        "/graphql",
        json={
            "query": operation("Login"),
            "variables": {"input": {"email": 42, "password": "correct horse 1"}},
        },
    )
    bad_date = await api.gql.execute(
        "Push",
        {"input": {"clientId": "c1", "appVersion": "old-app", "sentAt": "yesterday", "mutations": []}},
    )

    for body in (wrong_type.json(), bad_date.body):
        assert body.get("data") is None
        [error] = body["errors"]
        assert error["message"].startswith("Variable '$input' has invalid value"), error
    assert "email" in wrong_type.json()["errors"][0]["message"]
    assert "sentAt" in bad_date.body["errors"][0]["message"]


# -- GET ---------------------------------------------------------------------------------


async def test_a_query_can_be_sent_by_get(api: Api) -> None:
    token, user_id = await api.user("hanako@example.jp")

    anonymous = await api.http.get("/graphql?query={me{id}}")
    signed_in = await api.http.get(
        "/graphql", params={"query": "{me{id}}"}, headers={"Authorization": f"Bearer {token}"}
    )

    assert (anonymous.status_code, anonymous.json()) == (200, {"data": {"me": None}})
    assert (signed_in.status_code, signed_in.json()) == (200, {"data": {"me": {"id": user_id}}})


async def test_a_mutation_sent_by_get_is_refused_and_not_run(api: Api) -> None:
    token, _ = await api.user("hanako@example.jp")

    response = await api.http.get(
        "/graphql", params={"query": operation("Logout")}, headers={"Authorization": f"Bearer {token}"}
    )

    assert 400 <= response.status_code < 500
    assert (await api.gql.execute("Me", token=token)).status == 200  # still signed in


# -- bearer tokens -----------------------------------------------------------------------


async def test_an_authorization_header_that_is_not_bearer_gets_401(api: Api) -> None:
    for value in ("Basic aGFuYWtvOnB3", "Token abc", "Bearer", "Bearer   ", "abc"):
        response = await api.http.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": value}
        )
        assert_unauthenticated(response)


async def test_an_unknown_token_gets_401_rather_than_an_anonymous_answer(api: Api) -> None:
    by_post = await api.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": "Bearer otg_nope"}
    )
    by_get = await api.http.get(
        "/graphql", params={"query": "{ me { id } }"}, headers={"Authorization": "Bearer otg_nope"}
    )

    assert_unauthenticated(by_post)
    assert_unauthenticated(by_get)


async def test_the_bearer_scheme_is_case_insensitive(api: Api) -> None:
    token, user_id = await api.user("hanako@example.jp")

    response = await api.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"bearer {token}"}
    )

    assert response.json() == {"data": {"me": {"id": user_id}}}
