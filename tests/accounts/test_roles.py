"""grantRole: ward admins give leaders and staff their scope; every grant is audited."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from backend.accounts import service
from backend.accounts.models import AuditEntry, UserRole
from backend.accounts.roles import Role
from tests.conftest import Api

ASSOCIATION = "0b5e7a52-8c1d-4c8e-9a51-3f2d6b7c9e01"


async def ward_admin(api: Api) -> tuple[str, str]:
    """A ward admin, made the way the operator's CLI makes one (no actor)."""
    token, user_id = await api.user("bousai@ward.example.jp", "防災課")
    async with api.parts.db.unit_of_work() as uow:
        await service.grant_role(uow.session, actor=None, user_id=user_id, role=Role.WARD_ADMIN, scope_id=None)
        await uow.commit()
    return token, user_id


async def grant(api: Api, token: str, user_id: str, role: str, scope_id: str | None = None) -> dict[str, Any]:
    data = await api.gql.data("GrantRole", {"userId": user_id, "role": role, "scopeId": scope_id}, token)
    result: dict[str, Any] = data["grantRole"]
    return result


async def roles_in_db(api: Api, user_id: str) -> list[tuple[str, str]]:
    async with api.parts.db.read_session() as session:
        rows = await session.execute(
            sa.select(col(UserRole.role), col(UserRole.scope_id)).where(col(UserRole.user_id) == user_id)
        )
        return sorted((r.role, r.scope_id) for r in rows)


async def audit_entries(api: Api) -> list[AuditEntry]:
    async with api.parts.db.read_session() as session:
        return list((await session.scalars(sa.select(AuditEntry).order_by(col(AuditEntry.id)))).all())


async def test_a_ward_admin_makes_a_resident_leader_of_an_association(api: Api) -> None:
    admin_token, _ = await ward_admin(api)
    resident_token, resident_id = await api.user("hanako@example.jp")

    result = await grant(api, admin_token, resident_id, "LEADER", ASSOCIATION)

    assert result == {
        "__typename": "RoleGranted", "userId": resident_id, "role": "LEADER", "scopeId": ASSOCIATION,
    }
    me = (await api.gql.data("Me", token=resident_token))["me"]
    assert me["roles"] == [{"role": "LEADER", "scopeId": ASSOCIATION}]


async def test_me_lists_a_ward_admins_role_without_a_scope(api: Api) -> None:
    admin_token, _ = await ward_admin(api)

    me = (await api.gql.data("Me", token=admin_token))["me"]

    assert me["roles"] == [{"role": "WARD_ADMIN", "scopeId": None}]


async def test_a_grant_is_written_to_the_audit_log(api: Api) -> None:
    admin_token, admin_id = await ward_admin(api)
    _, resident_id = await api.user("hanako@example.jp")
    before = len(await audit_entries(api))

    await grant(api, admin_token, resident_id, "SHELTER_STAFF", ASSOCIATION)

    entries = await audit_entries(api)
    assert len(entries) == before + 1
    entry = entries[-1]
    assert (entry.actor_id, entry.action, entry.subject_type, entry.subject_id) == (
        admin_id, "role.grant", "User", resident_id,
    )
    assert entry.detail == {"role": "SHELTER_STAFF", "scopeId": ASSOCIATION}
    assert entry.at is not None


async def test_granting_the_same_role_again_changes_nothing(api: Api) -> None:
    admin_token, _ = await ward_admin(api)
    _, resident_id = await api.user("hanako@example.jp")
    first = await grant(api, admin_token, resident_id, "LEADER", ASSOCIATION)
    audited = len(await audit_entries(api))

    again = await grant(api, admin_token, resident_id, "LEADER", ASSOCIATION)

    assert again == first
    assert await roles_in_db(api, resident_id) == [("LEADER", ASSOCIATION)]
    assert len(await audit_entries(api)) == audited


async def test_someone_who_is_not_a_ward_admin_is_forbidden_to_grant(api: Api) -> None:
    leader_token, leader_id = await api.user("kaichou@example.jp")
    admin_token, _ = await ward_admin(api)
    await grant(api, admin_token, leader_id, "LEADER", ASSOCIATION)
    _, resident_id = await api.user("hanako@example.jp")

    self_promotion = await grant(api, leader_token, leader_id, "WARD_ADMIN")
    for_a_neighbour = await grant(api, leader_token, resident_id, "LEADER", ASSOCIATION)

    assert (self_promotion["__typename"], self_promotion["code"]) == ("RoleError", "FORBIDDEN")
    assert (for_a_neighbour["__typename"], for_a_neighbour["code"]) == ("RoleError", "FORBIDDEN")
    assert await roles_in_db(api, resident_id) == []
    assert await roles_in_db(api, leader_id) == [("LEADER", ASSOCIATION)]


async def test_granting_without_a_token_gets_http_401(api: Api) -> None:
    _, resident_id = await api.user("hanako@example.jp")

    reply = await api.gql.execute("GrantRole", {"userId": resident_id, "role": "WARD_ADMIN"})

    assert reply.status == 401
    assert await roles_in_db(api, resident_id) == []


async def test_a_scoped_role_without_a_scope_and_a_ward_role_with_one_are_invalid(api: Api) -> None:
    admin_token, _ = await ward_admin(api)
    _, resident_id = await api.user("hanako@example.jp")

    leader_without_scope = await grant(api, admin_token, resident_id, "LEADER")
    staff_with_blank_scope = await grant(api, admin_token, resident_id, "SHELTER_STAFF", "  ")
    admin_with_scope = await grant(api, admin_token, resident_id, "WARD_ADMIN", ASSOCIATION)
    scope_not_an_id = await grant(api, admin_token, resident_id, "LEADER", "町内会")

    codes = [r.get("code") for r in (leader_without_scope, staff_with_blank_scope, admin_with_scope, scope_not_an_id)]
    assert codes == ["VALIDATION"] * 4
    assert await roles_in_db(api, resident_id) == []


async def test_granting_to_an_unknown_user_is_not_found(api: Api) -> None:
    admin_token, _ = await ward_admin(api)
    audited = len(await audit_entries(api))

    unknown = await grant(api, admin_token, str(uuid.uuid4()), "LEADER", ASSOCIATION)
    not_an_id = await grant(api, admin_token, "no-such-user", "LEADER", ASSOCIATION)

    assert (unknown["__typename"], unknown["code"]) == ("RoleError", "NOT_FOUND")
    assert (not_an_id["__typename"], not_an_id["code"]) == ("RoleError", "NOT_FOUND")
    assert len(await audit_entries(api)) == audited
