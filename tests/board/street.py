"""A small neighbourhood for the board tests: an association, its leader, and residents who
join it the way the app lets them (an invite code), each on their own device.

Only what has no GraphQL yet for the operator (creating an association, granting the LEADER
role) goes through the services; residents act through `push` and see through `pull`, leaders
through the board's online mutations and queries.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from backend.accounts import service as accounts
from backend.accounts.roles import Role
from backend.board import associations
from tests.conftest import Api
from tests.support.client import OutboxClient
from tests.support.operations import operation
from tests.support.transport import Reply


@dataclass
class Street:
    api: Api
    association_id: str
    leader: OutboxClient

    async def resident(self, email: str, name: str = "住民") -> OutboxClient:
        """A resident who joined with an invite code (and so has a one-person household)."""
        device = await self.api.device(email, name)
        await join(self.api, device, await invite(self.api, self.leader, self.association_id))
        return device


async def new_association(api: Api, name: str = "本町一丁目町会", *, area: str | None = None,
                          is_open: bool = False) -> str:
    async with api.parts.db.unit_of_work() as uow:
        row = await associations.create_association(uow.session, name=name, area_geojson=area, is_open=is_open)
        association_id = row.id
        await uow.commit()
    return association_id


async def grant(api: Api, user_id: str, role: Role, scope_id: str | None = None) -> None:
    async with api.parts.db.unit_of_work() as uow:
        await accounts.grant_role(uow.session, actor=None, user_id=user_id, role=role, scope_id=scope_id)
        await uow.commit()


async def street(api: Api, name: str = "本町一丁目町会", *, leader_email: str = "kaicho@example.jp") -> Street:
    association_id = await new_association(api, name)
    leader = await api.device(leader_email, "会長 山本")
    await grant(api, leader.user_id, Role.LEADER, association_id)
    return Street(api, association_id, leader)


async def gql(api: Api, operation: str, variables: dict[str, Any], device: OutboxClient | None) -> Any:
    return await api.gql.data(operation, variables, device.token if device else None)


async def invite(api: Api, leader: OutboxClient, association_id: str) -> str:
    result = (await gql(api, "CreateInvite", {"associationId": association_id}, leader))["createInvite"]
    assert result["__typename"] == "Invite", result
    return str(result["code"])


async def join(api: Api, device: OutboxClient, code: str) -> dict[str, Any]:
    result: dict[str, Any] = (await gql(api, "JoinAssociation", {"code": code}, device))["joinAssociation"]
    return result


# -- acting through push --------------------------------------------------------------------
async def act(device: OutboxClient, action: str, args: dict[str, Any]) -> dict[str, Any]:
    """Queue one action, drain the outbox and return the server's final result for it."""
    mutation_id = device.enqueue(action, args)
    report = await device.drain()
    assert report.stopped_because == "empty", report
    return device.results[mutation_id]


def post_args(association_id: str, kind: str = "POST", title: str = "お知らせ", body: str = "本文",
              **fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "associationId": association_id, "kind": kind, "title": title,
            "body": body, **fields}


async def create_post(device: OutboxClient, association_id: str, kind: str = "POST", **fields: Any) -> str:
    return applied(await act(device, "createPost", post_args(association_id, kind, **fields)))


def applied(result: dict[str, Any]) -> str:
    assert result["status"] == "APPLIED", result
    return str(result["entityId"])


def rejected(result: dict[str, Any]) -> str:
    assert result["status"] == "REJECTED", result
    return str(result["code"])


# -- what devices and leaders see -----------------------------------------------------------
def pulled(device: OutboxClient, entity_type: str) -> dict[str, dict[str, Any]]:
    """The entities of one type in a device's replica, by id."""
    return {eid: row["data"] for (kind, eid), row in device.replica.items() if kind == entity_type}


async def board(api: Api, device: OutboxClient | None, association_id: str, **page: Any) -> Any:
    return await api.gql.execute("Board", {"associationId": association_id, **page},
                                 device.token if device else None)


async def board_titles(api: Api, device: OutboxClient, association_id: str) -> list[str]:
    data = await gql(api, "Board", {"associationId": association_id, "first": 100}, device)
    return [edge["node"]["title"] for edge in data["board"]["edges"]]


async def receipts(api: Api, leader: OutboxClient, post_id: str, **args: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await gql(api, "CircularReceipts", {"postId": post_id, **args}, leader))[
        "circularReceipts"]
    return result


async def receipts_page(api: Api, leader: OutboxClient, post_id: str, **args: Any) -> Reply:
    """One page of a circular's receipts (CircularReceiptsPage), as a leader's screen asks."""
    document = operation("CircularReceiptsPage")
    response = await api.http.post("/graphql", headers={"Authorization": f"Bearer {leader.token}"}, json={
        "query": document, "operationName": "CircularReceiptsPage", "variables": {"postId": post_id, **args}})
    return Reply(response.status_code, response.headers, response.json())


def square(lon: float, lat: float, size: float) -> str:
    """A square area as a GeoJSON Feature (longitude first)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}})


@contextmanager
def counted(api: Api) -> Iterator[list[str]]:
    """The SELECT statements run while inside (query-count tests: no N+1)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engines = {api.parts.db.read_engine.sync_engine, api.parts.db.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
