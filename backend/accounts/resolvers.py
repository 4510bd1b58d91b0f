"""Thin GraphQL resolvers for accounts; the rules live in service.py."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from backend.accounts import service
from backend.accounts.roles import Role as RoleValue
from backend.accounts.types import (
    AuthError,
    AuthResult,
    AuthSuccess,
    GrantRoleResult,
    LoginInput,
    LogoutPayload,
    RegisterInput,
    Role,
    RoleError,
    RoleGrant,
    RoleGranted,
    UserRef,
    Viewer,
)
from backend.core.context import Context
from backend.core.errors import DomainError
from backend.core.ratelimit import RateLimiter


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="The signed-in user, or null when anonymous.")
    async def me(self, info: Info[Context, None]) -> Viewer | None:
        identity = info.context.identity
        if identity is None:
            return None
        async with info.context.db.read_session() as session:
            user = await service.get_user(session, identity.user_id)
        if user is None:
            return None
        return Viewer(
            id=strawberry.ID(user.id),
            display_name=user.display_name,
            email=user.email,
            locale=user.locale,
            languages=list(user.languages),
            roles=[
                RoleGrant(role=RoleValue(role), scope_id=strawberry.ID(scope) if scope else None)
                for role, scope in sorted(identity.roles)
            ],
        )


async def _too_many(info: Info[Context, None], key: str, *, per_address: bool = False) -> AuthError | None:
    parts = info.context.part("accounts")
    limiter: RateLimiter = parts.address_limiter if per_address else parts.login_limiter
    wait = await limiter.hit(key)
    if wait is None:
        return None
    return AuthError(code="RATE_LIMITED", message=f"Too many attempts; try again in {int(wait) + 1} s")


@strawberry.type
class AccountsMutation:
    @strawberry.mutation
    async def register(self, info: Info[Context, None], input: RegisterInput) -> AuthResult:
        limited = await _too_many(info, f"register:{info.context.client_ip}", per_address=True)
        if limited:
            return limited
        try:
            async with info.context.db.unit_of_work() as uow:
                user, token = await service.register(
                    uow.session,
                    email=input.email,
                    password=input.password,
                    display_name=input.display_name,
                    locale=input.locale,
                )
                await uow.commit()
        except DomainError as exc:
            return AuthError(code=exc.code, message=exc.message)
        return AuthSuccess(token=token, user=UserRef(id=strawberry.ID(user.id)))

    @strawberry.mutation
    async def login(self, info: Info[Context, None], input: LoginInput) -> AuthResult:
        email_key = input.email.strip().lower()[:254]
        limited = await _too_many(info, f"login:{email_key}") or await _too_many(
            info, f"login-ip:{info.context.client_ip}", per_address=True
        )
        if limited:
            return limited
        try:
            async with info.context.db.unit_of_work() as uow:
                user, token = await service.login(uow.session, email=input.email, password=input.password)
                await uow.commit()
        except DomainError as exc:
            return AuthError(code=exc.code, message=exc.message)
        return AuthSuccess(token=token, user=UserRef(id=strawberry.ID(user.id)))

    @strawberry.mutation(description="Revoke the token of this request.")
    async def logout(self, info: Info[Context, None]) -> LogoutPayload:
        identity = info.context.require_identity()
        async with info.context.db.unit_of_work() as uow:
            await service.revoke_token(uow.session, token_hash_=identity.token_hash)
            await uow.commit()
        return LogoutPayload(ok=True)

    @strawberry.mutation(name="grantRole", description="Ward admins grant a role.")
    async def grant_role(
        self, info: Info[Context, None], user_id: strawberry.ID, role: Role, scope_id: strawberry.ID | None = None
    ) -> GrantRoleResult:
        identity = info.context.require_identity()
        try:
            async with info.context.db.unit_of_work() as uow:
                grant = await service.grant_role(
                    uow.session, actor=identity, user_id=str(user_id), role=RoleValue(role), scope_id=scope_id
                )
                await uow.commit()
        except DomainError as exc:
            return RoleError(code=exc.code, message=exc.message)
        return RoleGranted(
            user_id=strawberry.ID(grant.user_id),
            role=RoleValue(grant.role),
            scope_id=strawberry.ID(grant.scope_id) if grant.scope_id else None,
        )
