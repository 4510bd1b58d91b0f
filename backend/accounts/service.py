"""Account rules: registration, sign-in, tokens with sliding expiry, roles and the audit log."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import passwords, profile
from backend.accounts.models import AuditEntry, AuthToken, User, UserRole
from backend.accounts.roles import SCOPED_ROLES, Role
from backend.accounts.tokens import new_token, token_hash
from backend.core import audience
from backend.core.clock import utcnow
from backend.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from backend.core.identity import Identity
from backend.core.ids import is_uuid, new_id

TOKEN_TTL = timedelta(days=30)
# Sliding expiry is extended at most this often, so reads do not turn into writes.
TOKEN_TOUCH_EVERY = timedelta(hours=1)
SUPPORTED_LOCALES = ("ja", "en", "ja-easy", "zh-Hans", "ko", "vi", "ne", "pt")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"


class EmailTaken(DomainError):
    code = "EMAIL_TAKEN"


def normalize_email(email: str) -> str:
    email = unicodedata.normalize("NFKC", email).strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed("Enter a valid email address")
    return email


def _check_password(password: str) -> None:
    if not 8 <= len(password) <= 200:
        raise ValidationFailed("The password must have 8 to 200 characters")


async def register(
    session: AsyncSession, *, email: str, password: str, display_name: str, locale: str = "ja"
) -> tuple[User, str]:
    email = normalize_email(email)
    _check_password(password)
    name = profile.clean_display_name(display_name)
    locale = profile.clean_locale(locale or "ja")
    exists = await session.scalar(sa.select(User.id).where(User.email == email))
    if exists:
        raise EmailTaken("An account with this email already exists")
    user = User(
        id=new_id(),
        email=email,
        password_hash=await passwords.hash_password(password),
        display_name=name,
        locale=locale,
        languages=[],
        version=1,
        created_at=utcnow(),
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same email
        raise EmailTaken("An account with this email already exists") from exc
    profile.record_profile_change(session, user)
    return user, await issue_token(session, user.id)


async def login(session: AsyncSession, *, email: str, password: str) -> tuple[User, str]:
    try:
        email = normalize_email(email)
    except ValidationFailed:
        email = ""
    user = (await session.scalars(sa.select(User).where(User.email == email))).first()
    ok = await passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        raise InvalidCredentials("The email or password is not correct")
    return user, await issue_token(session, user.id)


async def issue_token(session: AsyncSession, user_id: str) -> str:
    token = new_token()
    now = utcnow()
    session.add(
        AuthToken(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + TOKEN_TTL,
            last_used_at=now,
        )
    )
    return token


async def revoke_token(session: AsyncSession, *, token_hash_: str) -> None:
    await session.execute(
        sa.update(AuthToken)
        .where(AuthToken.token_hash == token_hash_, AuthToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow())
    )


async def authenticate(session: AsyncSession, token: str, *, touch: bool = True) -> Identity | None:
    """The identity behind a bearer token, or None when it is unknown, expired or revoked.

    Extends the token's expiry (sliding) when it was last touched over an hour ago; with
    `touch=False` (a read-only transaction) `Identity.needs_touch` says so instead.
    """
    hashed = token_hash(token)
    rows = (await session.execute(_IDENTITY, {"token_hash": hashed})).all()
    now = utcnow()
    row = rows[0] if rows else None
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    stale = now - row.last_used_at >= TOKEN_TOUCH_EVERY
    if stale and touch:
        await touch_token(session, hashed)
    return Identity(
        user_id=row.user_id, token_hash=hashed, roles=_roles(rows), needs_touch=stale and not touch,
    )


_TOKEN: sa.Table = AuthToken.__table__  # type: ignore[attr-defined]
_ROLE: sa.Table = UserRole.__table__  # type: ignore[attr-defined]
_ROLES_OF = sa.select(_ROLE.c.role, _ROLE.c.scope_id).where(_ROLE.c.user_id == sa.bindparam("user_id"))
# The token and its user's roles in one statement, built once: every request with a token
# runs it (two ORM statements were an eighth of the CPU of a phone's push; bench/checkin_surge.py).
_IDENTITY = (
    sa.select(_TOKEN.c.user_id, _TOKEN.c.expires_at, _TOKEN.c.revoked_at, _TOKEN.c.last_used_at,
              _ROLE.c.role, _ROLE.c.scope_id)
    .select_from(_TOKEN.outerjoin(_ROLE, _ROLE.c.user_id == _TOKEN.c.user_id))
    .where(_TOKEN.c.token_hash == sa.bindparam("token_hash"))
)


async def touch_token(session: AsyncSession, hashed: str) -> None:
    now = utcnow()
    await session.execute(
        sa.update(AuthToken)
        .where(AuthToken.token_hash == hashed)
        .values(last_used_at=now, expires_at=now + TOKEN_TTL)
    )


async def roles_of(session: AsyncSession, user_id: str) -> frozenset[tuple[str, str]]:
    return _roles(await session.execute(_ROLES_OF, {"user_id": user_id}))


def _roles(rows: Any) -> frozenset[tuple[str, str]]:
    """(role, scope) of rows with role and scope_id columns (role NULL: an outer join's none)."""
    return frozenset((r.role, r.scope_id) for r in rows if r.role is not None)


async def get_user(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return (
        await session.scalars(sa.select(User).where(User.email == normalize_email(email)))
    ).first()


async def grant_role(
    session: AsyncSession, *, actor: Identity | None, user_id: str, role: Role, scope_id: str | None
) -> UserRole:
    """Ward admins grant roles (actor None = the operator's CLI)."""
    if actor is not None and not actor.is_ward_admin:
        raise Forbidden("Only ward administrators can grant roles")
    scope = (scope_id or "").strip()
    if role in SCOPED_ROLES and not scope:
        raise ValidationFailed(f"{role.value} needs a scopeId (an association or a shelter)")
    if role not in SCOPED_ROLES and scope:
        raise ValidationFailed(f"{role.value} is ward-wide and takes no scopeId")
    if scope and not is_uuid(scope):
        raise ValidationFailed("scopeId must be an id")
    if not is_uuid(user_id) or await session.get(User, user_id) is None:
        raise NotFound("No such user")
    existing = (
        await session.scalars(
            sa.select(UserRole).where(
                UserRole.user_id == user_id, UserRole.role == role.value, UserRole.scope_id == scope
            )
        )
    ).first()
    if existing is not None:
        return existing
    grant = UserRole(
        id=new_id(),
        user_id=user_id,
        role=role.value,
        scope_id=scope,
        granted_by=actor.user_id if actor else None,
        created_at=utcnow(),
    )
    session.add(grant)
    await audit(
        session,
        actor_id=actor.user_id if actor else None,
        action="role.grant",
        subject_type="User",
        subject_id=user_id,
        detail={"role": role.value, "scopeId": scope or None},
    )
    return grant


async def audit(
    session: AsyncSession,
    *,
    actor_id: str | None,
    action: str,
    subject_type: str | None = None,
    subject_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=detail,
        )
    )


async def audiences_of_user(session: AsyncSession, user_id: str) -> set[str]:
    """Every signed-in user sees their own entities and ward-wide ones; roles add more."""
    result = {audience.user(user_id), audience.WARD}
    for role, scope in await roles_of(session, user_id):
        if role == Role.WARD_ADMIN.value:
            result.add(audience.WARD_ADMINS)
        elif role == Role.LEADER.value:
            result.add(audience.association_leaders(scope))
        elif role == Role.SHELTER_STAFF.value:
            result.add(audience.shelter_staff(scope))
    return result
