"""The world every authorization cell runs in: two associations, two shelters, an incident,
households, and one person of each role (issue 8, the authorization matrix)."""

from __future__ import annotations

import base64
import dataclasses
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from backend.accounts.roles import Role
from tests.conftest import Api
from tests.safety.community import (
    act,
    applied,
    grant,
    new_association,
    new_household,
    new_shelter,
    open_incident,
)
from tests.support.client import OutboxClient

ROLES = ("anonymous", "resident_a", "resident_b", "leader_a", "staff_s1", "ward_admin")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)


@dataclass
class World:
    api: Api
    devices: dict[str, OutboxClient]
    ids: dict[str, str] = field(default_factory=dict)

    def token(self, role: str) -> str | None:
        return None if role == "anonymous" else self.devices[role].token

    def on(self, api: Api) -> World:
        """This world as seen through another app (on a copy of its database): each device
        keeps its identity and sequence numbers and gets its own copy of what it holds."""
        devices = {
            role: dataclasses.replace(
                d, transport=api.gql, queue=list(d.queue), sent=list(d.sent), results=dict(d.results),
                needs_attention=list(d.needs_attention), replica=dict(d.replica),
            )
            for role, d in self.devices.items()
        }
        return World(api, devices, dict(self.ids))

    def __getitem__(self, key: str) -> str:
        return self.ids[key]


async def build_world(api: Api) -> World:
    devices = {role: await api.device(f"{role}@example.jp", role) for role in ROLES if role != "anonymous"}
    ids: dict[str, str] = {
        "incident": await open_incident(api),
        "incident_2": await open_incident(api, name="別の災害"),
        "association_a": await new_association(api, "本町一丁目町会"),
        "association_b": await new_association(api, "本町二丁目町会"),
        "shelter_1": await new_shelter(api, "本町小学校"),
        "shelter_2": await new_shelter(api, "本町中学校", lat=35.70),
    }
    ids["household_a"] = await new_household(api, ids["association_a"], "佐藤家", devices["resident_a"].user_id)
    ids["household_b"] = await new_household(api, ids["association_b"], "鈴木家", devices["resident_b"].user_id)
    ids["household_leader"] = await new_household(api, ids["association_a"], "会長家", devices["leader_a"].user_id)
    await grant(api, devices["leader_a"].user_id, Role.LEADER, ids["association_a"])
    await grant(api, devices["staff_s1"].user_id, Role.SHELTER_STAFF, ids["shelter_1"])
    await grant(api, devices["ward_admin"].user_id, Role.WARD_ADMIN)
    grandma = str(uuid.uuid4())
    applied(await act(devices["resident_a"], "registerPerson",
                      {"id": grandma, "displayName": "佐藤 ハナ", "householdId": ids["household_a"]}))
    ids["grandma"] = grandma
    for role, device in devices.items():
        ids[f"user_{role}"] = device.user_id
    world = World(api, devices, ids)
    await _board(world)
    await _market(world)
    return world


async def _market(world: World) -> None:
    """A ward-wide offer and an association-only offer by resident A; resident B's claim."""
    ids, devices = world.ids, world.devices
    ids["listing_w"], ids["listing_a"], ids["claim_b"] = fresh_id(), fresh_id(), fresh_id()
    here = {"lat": 35.6895, "lon": 139.6917}
    applied(await act(devices["resident_a"], "createListing", {
        "id": ids["listing_w"], "kind": "OFFER", "category": "WATER", "title": "水 2 ケース", "quantity": 5,
        "location": here}))
    applied(await act(devices["resident_a"], "createListing", {
        "id": ids["listing_a"], "kind": "OFFER", "category": "FOOD", "title": "おにぎり", "quantity": 3,
        "location": here, "visibility": "ASSOCIATION", "associationId": ids["association_a"]}))
    applied(await act(devices["resident_b"], "claimListing", {
        "id": ids["claim_b"], "listingId": ids["listing_w"], "quantity": 1}))


def _jpeg() -> str:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 80, 40)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


async def _board(world: World) -> None:
    """A post, a circular, a comment, a photo, an invite and a join request in association A."""
    ids, devices, gql = world.ids, world.devices, world.api.gql
    ids["post_a"], ids["circular_a"], ids["comment_a"], ids["photo_a"] = (fresh_id() for _ in range(4))
    applied(await act(devices["resident_a"], "createPost", {
        "id": ids["post_a"], "associationId": ids["association_a"], "kind": "POST", "title": "夏祭り",
        "body": "手伝える方を募集します"}))
    applied(await act(devices["leader_a"], "createPost", {
        "id": ids["circular_a"], "associationId": ids["association_a"], "kind": "CIRCULAR",
        "title": "防災訓練のお知らせ", "body": "日曜 9 時", "rsvp": True}))
    applied(await act(devices["resident_a"], "createComment", {
        "id": ids["comment_a"], "postId": ids["post_a"], "body": "参加します"}))
    photo = await gql.data("AttachPhoto", {"postId": ids["post_a"], "photoId": ids["photo_a"], "data": _jpeg()},
                           devices["resident_a"].token)
    assert photo["attachPhoto"]["__typename"] == "Photo", photo
    invite = await gql.data("CreateInvite", {"associationId": ids["association_a"]}, devices["leader_a"].token)
    ids["invite_code"] = invite["createInvite"]["code"]
    request = await gql.data("RequestToJoin", {"associationId": ids["association_a"]}, devices["staff_s1"].token)
    ids["join_request"] = request["requestToJoin"]["id"]


def fresh_id() -> str:
    return str(uuid.uuid4())


def variables(template: dict[str, Any], world: World) -> dict[str, Any]:
    """`"@key"` values name world ids; `"@new"` is a fresh UUID."""
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            return fresh_id() if value == "@new" else world[value[1:]]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return {k: resolve(v) for k, v in template.items()}
