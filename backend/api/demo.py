"""Loads the demo ward from fixtures/demo (idempotent: existing accounts are kept)."""

from __future__ import annotations

import json
from pathlib import Path

from backend.accounts import service
from backend.accounts.roles import Role
from backend.core.db import Database


async def load_demo(database_url: str, folder: Path) -> int:
    people = json.loads((folder / "accounts.json").read_text(encoding="utf-8"))
    db = Database(database_url)
    created = 0
    try:
        for person in people:
            async with db.unit_of_work() as uow:
                if await service.find_user_by_email(uow.session, person["email"]) is not None:
                    continue
                user, _ = await service.register(
                    uow.session,
                    email=person["email"],
                    password=person["password"],
                    display_name=person["displayName"],
                    locale=person.get("locale", "ja"),
                )
                if person.get("role") == "WARD_ADMIN":
                    await service.grant_role(
                        uow.session, actor=None, user_id=user.id, role=Role.WARD_ADMIN, scope_id=None
                    )
                await uow.commit()
                created += 1
    finally:
        await db.dispose()
    return created
