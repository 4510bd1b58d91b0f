"""Registering an account (API.md "Auth and membership"): who may, and what is refused."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from backend.accounts.models import User
from tests.conftest import Api

PASSWORD = "correct horse 1"


async def register(api: Api, **fields: Any) -> dict[str, Any]:
    values = {"email": "hanako@example.jp", "password": PASSWORD, "displayName": "花子", **fields}
    data = await api.gql.data("Register", {"input": values})
    result: dict[str, Any] = data["register"]
    return result


async def count_users(api: Api) -> int:
    async with api.parts.db.read_session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(User)) or 0)


async def test_registering_returns_a_token_that_signs_the_new_user_in(api: Api) -> None:
    result = await register(api, locale="en")

    assert result["__typename"] == "AuthSuccess"
    assert result["token"] and result["user"]["id"]
    me = (await api.gql.data("Me", token=result["token"]))["me"]
    assert me["id"] == result["user"]["id"]
    assert me["displayName"] == "花子"
    assert me["email"] == "hanako@example.jp"
    assert me["locale"] == "en"
    assert me["roles"] == []


async def test_the_email_is_kept_trimmed_and_in_lower_case(api: Api) -> None:
    result = await register(api, email="  Hanako@Example.JP ")

    me = (await api.gql.data("Me", token=result["token"]))["me"]
    assert me["email"] == "hanako@example.jp"


async def test_an_email_already_registered_is_taken_whatever_its_case_or_width(api: Api) -> None:
    assert (await register(api))["__typename"] == "AuthSuccess"

    variants = [
        "hanako@example.jp",
        "HANAKO@Example.JP",
        " hanako@example.jp ",
        "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ",  # full-width, as a Japanese IME types it
    ]
    codes = {v: (await register(api, email=v, displayName="別人")).get("code") for v in variants}

    assert codes == {v: "EMAIL_TAKEN" for v in variants}
    assert await count_users(api) == 1


async def test_invalid_registrations_are_refused_with_validation_and_create_nothing(api: Api) -> None:
    cases = {
        "email without at-sign": {"email": "not-an-email"},
        "email without a domain dot": {"email": "hanako@example"},
        "email with a space": {"email": "hana ko@example.jp"},
        "password of 7 characters": {"password": "short12"},
        "empty display name": {"displayName": ""},
        "blank display name": {"displayName": "   "},
        "display name of 201 characters": {"displayName": "名" * 201},
        "unknown locale": {"locale": "xx"},
    }
    answers = {}
    for label, fields in cases.items():
        result = await register(api, **fields)
        answers[label] = (result["__typename"], result.get("code"), bool(result.get("message")))

    assert answers == {label: ("AuthError", "VALIDATION", True) for label in cases}
    assert await count_users(api) == 0


async def test_the_longest_display_name_and_shortest_password_are_accepted(api: Api) -> None:
    result = await register(api, displayName="名" * 200, password="8chars!!")

    assert result["__typename"] == "AuthSuccess"
    me = (await api.gql.data("Me", token=result["token"]))["me"]
    assert me["displayName"] == "名" * 200
