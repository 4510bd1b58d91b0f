"""`me`: null for anonymous callers, the caller's own fields and roles otherwise."""

from __future__ import annotations

from tests.conftest import Api


async def test_me_is_null_when_anonymous(api: Api) -> None:
    reply = await api.gql.execute("Me")

    assert reply.status == 200
    assert reply.body == {"data": {"me": None}}


async def test_me_shows_the_signed_in_users_own_fields(api: Api) -> None:
    token, user_id = await api.gql.register("hanako@example.jp", "鈴木 花子")
    await api.gql.register("taro@example.jp", "太郎")

    me = (await api.gql.data("Me", token=token))["me"]

    assert me == {
        "id": user_id,
        "displayName": "鈴木 花子",
        "email": "hanako@example.jp",
        "locale": "ja",
        "languages": [],
        "roles": [],
    }
