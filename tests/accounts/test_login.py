"""Signing in: the right password gives a token, a wrong one gives nothing away, floods stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from backend.api.app import create_app
from backend.core.actions import Registry
from backend.core.settings import Settings
from tests.conftest import Api
from tests.support.transport import GraphQLTransport

PASSWORD = "correct horse 1"


async def login(gql: GraphQLTransport, email: str, password: str) -> dict[str, Any]:
    data = await gql.data("Login", {"input": {"email": email, "password": password}})
    result: dict[str, Any] = data["login"]
    return result


@asynccontextmanager
async def app_with_rate_limits(db_url: str, registry: Registry, data_dir: Path) -> AsyncIterator[GraphQLTransport]:
    app = create_app(Settings(database_url=db_url, data_dir=data_dir, rate_limits=True), registry)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://otagai.test") as http:
            yield GraphQLTransport(http)


async def test_signing_in_gives_a_new_token_for_the_same_user(api: Api) -> None:
    first_token, user_id = await api.gql.register("hanako@example.jp", password=PASSWORD)

    result = await login(api.gql, "hanako@example.jp", PASSWORD)

    assert result["__typename"] == "AuthSuccess"
    assert result["user"]["id"] == user_id
    assert result["token"] != first_token
    assert (await api.gql.data("Me", token=result["token"]))["me"]["id"] == user_id


async def test_signing_in_ignores_the_case_and_width_of_the_email(api: Api) -> None:
    _, user_id = await api.gql.register("hanako@example.jp", password=PASSWORD)

    upper = await login(api.gql, "HANAKO@EXAMPLE.JP", PASSWORD)
    wide = await login(api.gql, "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", PASSWORD)

    assert upper["user"]["id"] == wide["user"]["id"] == user_id


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(api: Api) -> None:
    await api.gql.register("hanako@example.jp", password=PASSWORD)

    wrong_password = await login(api.gql, "hanako@example.jp", "correct horse 2")
    unknown_email = await login(api.gql, "nobody@example.jp", PASSWORD)
    malformed_email = await login(api.gql, "not-an-email", PASSWORD)

    def answer(result: dict[str, Any]) -> tuple[str, str, str]:
        return result["__typename"], result["code"], result["message"]

    assert answer(wrong_password) == answer(unknown_email) == answer(malformed_email)
    assert answer(wrong_password)[:2] == ("AuthError", "INVALID_CREDENTIALS")
    assert "token" not in wrong_password


async def test_sign_in_is_rate_limited_after_ten_attempts_even_with_the_right_password(
    db_url: str, registry: Registry, tmp_path: Path
) -> None:
    async with app_with_rate_limits(db_url, registry, tmp_path) as gql:
        await gql.register("hanako@example.jp", password=PASSWORD)
        failures = [(await login(gql, "hanako@example.jp", "wrong password"))["code"] for _ in range(10)]

        eleventh = await login(gql, "hanako@example.jp", PASSWORD)

    assert failures == ["INVALID_CREDENTIALS"] * 10
    assert eleventh["__typename"] == "AuthError"
    assert eleventh["code"] == "RATE_LIMITED"
    assert "token" not in eleventh
