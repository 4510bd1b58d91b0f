"""A neighbourhood for the market tests: residents on their own devices, an association,
its leader and a ward admin.

Joining an association and roles have no market action, so they are set up through the
board and accounts services; everything a resident does in the market goes through `push`
as the PWA outbox sends it, and what they see comes from `pull` and the shared operations.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.accounts import service as accounts
from backend.accounts.roles import Role
from backend.board import associations
from tests.conftest import Api
from tests.safety.community import ServerClock, server_clock
from tests.support.client import OutboxClient

# 本町 (Toshima): a home, and a point about 600 m away.
HOME = (35.7295, 139.7109)
__all__ = ["ServerClock", "server_clock"]  # the frozen server clock the market tests use

NEARBY = (35.7330, 139.7160)




def new_id() -> str:
    return str(uuid.uuid4())


async def new_association(api: Api, name: str = "本町一丁目町会") -> str:
    async with api.parts.db.unit_of_work() as uow:
        association = await associations.create_association(uow.session, name=name)
        association_id = association.id
        await uow.commit()
    return association_id


async def join(api: Api, association_id: str, *user_ids: str) -> None:
    async with api.parts.db.unit_of_work() as uow:
        for user_id in user_ids:
            await associations.add_member(uow.session, association_id=association_id, user_id=user_id)
        await uow.commit()


async def grant(api: Api, user_id: str, role: Role, scope_id: str | None = None) -> None:
    async with api.parts.db.unit_of_work() as uow:
        await accounts.grant_role(uow.session, actor=None, user_id=user_id, role=role, scope_id=scope_id)
        await uow.commit()


def listing_args(
    *, kind: str = "OFFER", category: str = "WATER", title: str = "水 2ケース", quantity: int = 1,
    at: tuple[float, float] = HOME, listing_id: str | None = None, **extra: Any,
) -> dict[str, Any]:
    return {
        "id": listing_id or new_id(), "kind": kind, "category": category, "title": title,
        "quantity": quantity, "location": {"lat": at[0], "lon": at[1]}, **extra,
    }


async def push(device: OutboxClient, action: str, args: dict[str, Any]) -> dict[str, Any]:
    """Queue one action, send the queue, return that action's result."""
    mutation_id = device.enqueue(action, args)
    await device.drain()
    return device.results[mutation_id]


async def offer(device: OutboxClient, **fields: Any) -> str:
    args = listing_args(**fields)
    result = await push(device, "createListing", args)
    assert result["status"] == "APPLIED", result
    return str(args["id"])


async def near(api: Api, device: OutboxClient, at: tuple[float, float] = NEARBY, **variables: Any) -> list[dict[str, Any]]:
    data = await api.gql.data("Listings", {"near": {"lat": at[0], "lon": at[1]}, **variables}, device.token)
    return [edge["node"] for edge in data["listings"]["edges"]]


def seen(device: OutboxClient, entity_type: str) -> dict[str, dict[str, Any]]:
    """What a device holds of one entity type after pulling."""
    return {key[1]: held["data"] for key, held in device.replica.items() if key[0] == entity_type}
