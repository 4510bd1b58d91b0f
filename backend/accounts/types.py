"""GraphQL types of accounts (API.md "Auth and membership")."""

from __future__ import annotations

from typing import Annotated

import strawberry

from backend.accounts.roles import Role as RoleValue

Role = strawberry.enum(RoleValue, name="Role")


@strawberry.type
class RoleGrant:
    role: Role
    scope_id: strawberry.ID | None


@strawberry.type
class UserRef:
    id: strawberry.ID


@strawberry.type
class Viewer:
    """The signed-in user, as `me` returns them."""

    id: strawberry.ID
    display_name: str
    email: str
    locale: str
    languages: list[str]
    roles: list[RoleGrant]


@strawberry.type
class AuthSuccess:
    token: str
    user: UserRef


@strawberry.type
class AuthError:
    code: str
    message: str


AuthResult = Annotated[AuthSuccess | AuthError, strawberry.union("AuthResult")]


@strawberry.type
class LogoutPayload:
    ok: bool


@strawberry.type
class RoleGranted:
    user_id: strawberry.ID
    role: Role
    scope_id: strawberry.ID | None


@strawberry.type
class RoleError:
    code: str
    message: str


GrantRoleResult = Annotated[RoleGranted | RoleError, strawberry.union("GrantRoleResult")]


@strawberry.input
class RegisterInput:
    email: str
    password: str
    display_name: str
    locale: str = "ja"


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class UpdateProfileInput:
    display_name: str | None = None
    locale: str | None = None
    languages: list[str] | None = None


