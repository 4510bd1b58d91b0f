"""Bearer tokens: revoked by logout, expiring after 30 days unless used, kept only hashed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.accounts.models import AuthToken
from backend.accounts.service import TOKEN_TOUCH_EVERY, TOKEN_TTL
from backend.core.clock import set_clock
from tests.conftest import Api
from tests.support.transport import Reply


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    moved = MovableClock(datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    set_clock(moved)
    try:
        yield moved
    finally:
        set_clock(None)


def assert_unauthenticated(reply: Reply) -> None:
    assert reply.status == 401, (reply.status, reply.body)
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert reply.body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def stored_token(api: Api, token: str) -> AuthToken:
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with api.parts.db.read_session() as session:
        row = await session.get(AuthToken, digest)
    assert row is not None, "the token's hash is not stored"
    return row


async def test_logging_out_revokes_the_token_so_it_then_gets_http_401(api: Api) -> None:
    token, _ = await api.user("hanako@example.jp")

    assert (await api.gql.data("Logout", token=token))["logout"]["ok"] is True

    assert_unauthenticated(await api.gql.execute("Me", token=token))
    assert (await stored_token(api, token)).revoked_at is not None


async def test_logging_out_leaves_the_users_other_tokens_working(api: Api) -> None:
    phone_token, user_id = await api.user("hanako@example.jp")
    tablet = await api.gql.data(
        "Login", {"input": {"email": "hanako@example.jp", "password": "correct horse 1"}}
    )

    await api.gql.data("Logout", token=phone_token)

    me = (await api.gql.data("Me", token=tablet["login"]["token"]))["me"]
    assert me["id"] == user_id


async def test_logging_out_without_a_token_gets_http_401(api: Api) -> None:
    assert_unauthenticated(await api.gql.execute("Logout"))


async def test_a_token_not_used_for_thirty_days_gets_http_401(api: Api, clock: MovableClock) -> None:
    token, user_id = await api.user("hanako@example.jp")

    clock.advance(TOKEN_TTL)

    assert_unauthenticated(await api.gql.execute("Me", token=token))
    fresh = await api.gql.data(
        "Login", {"input": {"email": "hanako@example.jp", "password": "correct horse 1"}}
    )
    assert (await api.gql.data("Me", token=fresh["login"]["token"]))["me"]["id"] == user_id


async def test_a_token_used_after_an_hour_gets_thirty_more_days(api: Api, clock: MovableClock) -> None:
    token, user_id = await api.user("hanako@example.jp")
    issued_at = clock.now
    clock.advance(TOKEN_TOUCH_EVERY)

    await api.gql.data("Me", token=token)

    used_at = clock.now
    row = await stored_token(api, token)
    assert (row.created_at, row.last_used_at, row.expires_at) == (issued_at, used_at, used_at + TOKEN_TTL)
    clock.advance(TOKEN_TTL - timedelta(minutes=30))  # past the first expiry, before the new one
    assert (await api.gql.data("Me", token=token))["me"]["id"] == user_id


async def test_a_token_used_again_within_the_hour_is_not_rewritten(api: Api, clock: MovableClock) -> None:
    token, _ = await api.user("hanako@example.jp")
    before = await stored_token(api, token)
    clock.advance(TOKEN_TOUCH_EVERY - timedelta(seconds=1))

    await api.gql.data("Me", token=token)

    after = await stored_token(api, token)
    assert (after.last_used_at, after.expires_at) == (before.last_used_at, before.expires_at)


async def test_tokens_are_stored_only_as_their_sha256_hash(api: Api) -> None:
    token, user_id = await api.user("hanako@example.jp")

    async with api.parts.db.read_session() as session:
        rows = (await session.execute(sa.select(AuthToken))).scalars().all()
        raw = (await session.execute(sa.text("SELECT * FROM account_token"))).all()

    assert [(r.token_hash, r.user_id) for r in rows] == [
        (hashlib.sha256(token.encode()).hexdigest(), user_id)
    ]
    assert not any(token in str(value) for row in raw for value in row)
