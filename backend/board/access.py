"""Who may do what in an association: members, officers (役員) and leaders (LEADER role).

Push handlers know only the user id, so roles are read from the database here; resolvers
pass the request's `Identity`, whose roles were read when the token was checked.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import service as accounts
from backend.board import associations
from backend.board.models import Association, AssociationMember
from backend.core.errors import Forbidden, NotFound
from backend.core.identity import Identity

_ASSOCIATION: sa.Table = Association.__table__  # type: ignore[attr-defined]
_MEMBER: sa.Table = AssociationMember.__table__  # type: ignore[attr-defined]


async def leads(session: AsyncSession, user_id: str, association_id: str) -> bool:
    roles = await accounts.roles_of(session, user_id)
    return ("LEADER", association_id) in roles or ("WARD_ADMIN", "") in roles


async def membership(session: AsyncSession, user_id: str, association_id: str) -> AssociationMember | None:
    return await session.get(AssociationMember, (association_id, user_id))


async def require_reader(session: AsyncSession, viewer: Identity | None, association_id: str, *, what: str) -> bool:
    """Members read an association's board (anyone, when it is open), and its leaders; returns
    whether the viewer leads it. The association and the viewer's membership in one statement."""
    leader = viewer is not None and associations.leads(viewer, association_id)
    member = sa.false() if viewer is None else sa.exists().where(
        _MEMBER.c.association_id == association_id, _MEMBER.c.user_id == viewer.user_id)
    found = (await session.execute(
        sa.select(_ASSOCIATION.c.is_open, member).where(_ASSOCIATION.c.id == association_id)
    )).first()
    if found is None:
        raise NotFound("No such association")
    if not (leader or found[0] or found[1]):
        raise Forbidden(f"Only members of this association see its {what}")
    return leader


async def require_member(session: AsyncSession, user_id: str, association_id: str) -> bool:
    """A member or a leader may take part; returns whether the user leads the association."""
    if await leads(session, user_id, association_id):
        return True
    if await membership(session, user_id, association_id) is None:
        raise Forbidden("Only members of this association can do this")
    return False


async def require_officer(session: AsyncSession, user_id: str, association_id: str) -> None:
    """Broadcasts and circulars: leaders and officers of the association."""
    if await leads(session, user_id, association_id):
        return
    member = await membership(session, user_id, association_id)
    if member is None or not member.office:
        raise Forbidden("Only leaders and officers of this association send broadcasts and circulars")


async def require_leader(session: AsyncSession, user_id: str, association_id: str) -> None:
    if not await leads(session, user_id, association_id):
        raise Forbidden("Only leaders of this association can do this")


async def require_ward_admin(session: AsyncSession, user_id: str) -> None:
    if ("WARD_ADMIN", "") not in await accounts.roles_of(session, user_id):
        raise Forbidden("Only ward administrators can do this")

