"""The authorization matrix (issue 8): every query, mutation and offline action of the schema,
run as every role against the scopes of the world (tests/authz/world.py), and the outcome
compared with who should be allowed. A new operation without a row here fails the suite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.authz.world import EVERYONE, ROLES, SIGNED_IN, World, variables
from tests.support.operations import operation

# NOT_FOUND: an existing target hidden from those who may not see it (every target exists);
# NO_HOUSEHOLD: circulars are read by households of the association, and they have none there.
DENIED = {"FORBIDDEN", "UNAUTHENTICATED", "NOT_FOUND", "NO_HOUSEHOLD"}


@dataclass(frozen=True)
class Cell:
    """An operation (by its graphql/operations file) or an offline action, and who may do it."""

    field: str
    allowed: frozenset[str]
    operation: str | None = None  # the shared operation's name; None: an ActionInput member
    vars: tuple[tuple[str, Any], ...] = ()

    def template(self) -> dict[str, Any]:
        return dict(self.vars)


def q(field: str, allowed: frozenset[str], op: str, **vars: Any) -> Cell:
    return Cell(field, frozenset(allowed), op, tuple(vars.items()))


def a(field: str, allowed: frozenset[str], **args: Any) -> Cell:
    return Cell(field, frozenset(allowed), None, tuple(args.items()))


LEADS_A = frozenset({"leader_a", "ward_admin"})
STAFF_S1 = frozenset({"staff_s1", "ward_admin"})
ADMIN = frozenset({"ward_admin"})
MEMBERS_A = frozenset({"resident_a", "leader_a", "ward_admin"})
AUTHOR_A = frozenset({"resident_a"})
HOUSEHOLDS_A = frozenset({"resident_a", "leader_a"})

CELLS = [
    # accounts
    q("register", EVERYONE, "Register", input={"email": "@new", "password": "password-123", "displayName": "新"}),
    q("login", EVERYONE, "Login", input={"email": "nobody@example.jp", "password": "password-123"}),
    q("logout", SIGNED_IN, "Logout"),
    q("me", EVERYONE, "Me"),
    q("grantRole", ADMIN, "GrantRole", userId="@user_resident_b", role="LEADER", scopeId="@association_b"),
    a("updateProfile", SIGNED_IN, displayName="新しい名前"),
    # sync
    q("pull", SIGNED_IN, "Pull", input={"cursor": None, "limit": 10}),
    # safety: incidents and shelters
    q("incidents", EVERYONE, "Incidents"),
    q("shelters", EVERYONE, "Shelters"),
    q("openIncident", ADMIN, "OpenIncident", name="訓練", isDrill=True),
    q("closeIncident", ADMIN, "CloseIncident", id="@incident_2"),
    q("setShelterOpen", STAFF_S1, "SetShelterOpen", shelterId="@shelter_1", incidentId="@incident", open=True),
    q("shelterStatus", STAFF_S1, "ShelterStatus", shelterId="@shelter_1", incidentId="@incident"),
    q("rollCall", LEADS_A, "RollCall", associationId="@association_a", incidentId="@incident"),
    q("findPerson", EVERYONE, "FindPerson", incidentId="@incident", name="佐藤 ハナ"),
    # safety: offline actions
    a("checkIn", SIGNED_IN, id="@new", incidentId="@incident", condition="SAFE"),
    a("checkIn", {"resident_a", "leader_a", "ward_admin"}, id="@new", incidentId="@incident",
      subjectId="@grandma", condition="NEED_HELP"),
    a("setSafetyVisibility", SIGNED_IN, publicSearch=False),
    a("registerPerson", {"resident_a", "leader_a", "ward_admin"}, id="@new", displayName="佐藤 次郎",
      householdId="@household_a"),
    a("registerPerson", STAFF_S1, id="@new", displayName="受付 太郎"),
    a("linkPersons", STAFF_S1, personId="@grandma", duplicateId="@grandma"),
    # board: households
    a("createHousehold", {"resident_a", "leader_a", "ward_admin"}, id="@new", associationId="@association_a",
      label="新しい世帯", joinSelf=True),
    a("addHouseholdMember", LEADS_A, householdId="@household_a", personId="@user_resident_b"),
    a("setHouseholdGroup", LEADS_A, householdId="@household_a", groupName=""),
    # board: associations and membership
    q("associationAt", EVERYONE, "AssociationAt", lat=35.6895, lon=139.6917),
    q("createAssociation", ADMIN, "CreateAssociation", name="新しい町会"),
    q("createGroup", LEADS_A, "CreateGroup", associationId="@association_a", name="3班"),
    q("createInvite", LEADS_A, "CreateInvite", associationId="@association_a"),
    q("joinAssociation", SIGNED_IN, "JoinAssociation", code="@invite_code"),
    q("requestToJoin", SIGNED_IN, "RequestToJoin", associationId="@association_a"),
    q("decideJoinRequest", LEADS_A, "DecideJoinRequest", requestId="@join_request", approve=True),
    q("setOffice", LEADS_A, "SetOffice", associationId="@association_a", userId="@user_resident_a", office="会計"),
    a("leaveAssociation", HOUSEHOLDS_A, associationId="@association_a"),  # its members: the others are not
    a("setAssociationArea", ADMIN, associationId="@association_a", area=None),
    # board: posts, circulars, moderation
    q("board", MEMBERS_A, "Board", associationId="@association_a"),
    q("postPhoto", MEMBERS_A, "PostPhoto", id="@photo_a"),
    q("attachPhoto", AUTHOR_A, "AttachPhoto", postId="@post_a", photoId="@new", data=""),
    q("circularReceipts", LEADS_A, "CircularReceipts", postId="@circular_a"),
    q("markHouseholdInformed", LEADS_A, "MarkHouseholdInformed", postId="@circular_a", householdId="@household_a"),
    q("moderate", LEADS_A, "Moderate", targetType="POST", targetId="@post_a", hidden=False),
    a("createPost", MEMBERS_A, id="@new", associationId="@association_a", kind="POST", title="t", body="b"),
    a("createPost", LEADS_A, id="@new", associationId="@association_a", kind="BROADCAST", title="t", body="b",
      urgency="EMERGENCY"),
    a("editPost", AUTHOR_A, id="@post_a", title="夏祭り（変更）"),
    a("deletePost", AUTHOR_A, id="@post_a"),
    a("createComment", MEMBERS_A, id="@new", postId="@post_a", body="いいですね"),
    a("deleteComment", AUTHOR_A, id="@comment_a"),
    a("markCircularRead", HOUSEHOLDS_A, postId="@circular_a"),
    a("rsvpCircular", HOUSEHOLDS_A, postId="@circular_a", answer="ATTEND"),
    a("reportContent", MEMBERS_A, id="@new", targetType="POST", targetId="@post_a", reason="宣伝"),
    # market
    q("listings", SIGNED_IN, "Listings", near={"lat": 35.6895, "lon": 139.6917}),
    q("listingMatches", SIGNED_IN, "ListingMatches", listingId="@listing_w"),
    q("hideListing", LEADS_A, "HideListing", id="@listing_a"),
    q("unhideListing", LEADS_A, "UnhideListing", id="@listing_a"),
    a("createListing", SIGNED_IN, id="@new", kind="REQUEST", category="WATER", title="水がほしい",
      location={"lat": 35.69, "lon": 139.69}),
    a("createListing", HOUSEHOLDS_A, id="@new", kind="REQUEST", category="FOOD", title="町会だけ",
      location={"lat": 35.69, "lon": 139.69}, visibility="ASSOCIATION", associationId="@association_a"),
    a("claimListing", SIGNED_IN - AUTHOR_A, id="@new", listingId="@listing_w", quantity=1),
    a("claimListing", HOUSEHOLDS_A - AUTHOR_A, id="@new", listingId="@listing_a", quantity=1),
    a("updateListing", AUTHOR_A, id="@listing_w", baseVersion=1, title="水 3 ケース"),
    a("withdrawListing", AUTHOR_A, id="@listing_w"),
    a("cancelClaim", {"resident_a", "resident_b"}, claimId="@claim_b"),
    a("confirmHandover", {"resident_a", "resident_b"}, claimId="@claim_b"),
    a("reportListing", SIGNED_IN, listingId="@listing_w", reason="詐欺"),
    # web push
    q("vapidPublicKey", EVERYONE, "VapidPublicKey"),
    q("subscribePush", SIGNED_IN, "SubscribePush", input={
        "endpoint": "https://fcm.googleapis.com/fcm/send/authz", "locale": "ja",
        "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                 "auth": "tBHItJI5svbpez7KI4CCXg"}}),
    q("pushSubscription", SIGNED_IN, "PushSubscription", endpoint="https://fcm.googleapis.com/fcm/send/authz"),
    q("unsubscribePush", SIGNED_IN, "UnsubscribePush", endpoint="https://fcm.googleapis.com/fcm/send/authz"),
]


def _denied_query(status: int, body: Any) -> bool:
    if status == 401:
        return True
    assert status == 200, (status, body)
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    assert "INTERNAL_ERROR" not in codes, body
    if codes & DENIED:
        return True
    for value in (body.get("data") or {}).values():
        if isinstance(value, dict) and value.get("code") in DENIED:
            return True
    return False


async def _denied(world: World, cell: Cell, role: str) -> bool:
    values = variables(cell.template(), world)
    if cell.operation is not None:
        reply = await world.api.gql.execute(cell.operation, values, world.token(role))
        return _denied_query(reply.status, reply.body)
    if role == "anonymous":
        reply = await world.api.gql.execute("Push", {"input": {
            "clientId": values.get("id", "c"), "appVersion": "t", "sentAt": "2026-11-26T00:00:00Z",
            "mutations": []}}, None)
        return reply.status == 401
    device = world.devices[role]
    mutation_id = device.enqueue(cell.field, values)
    await device.drain()
    result = device.results[mutation_id]
    assert result["status"] != "REJECTED" or result["code"] != "INTERNAL_ERROR", result
    return result["status"] == "REJECTED" and result["code"] in DENIED


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: f"{c.field}-{'/'.join(sorted(c.allowed))[:40]}")
async def test_each_role_is_allowed_exactly_what_it_should_be(world: World, cell: Cell) -> None:
    outcome = {role: not await _denied(world, cell, role) for role in sorted(ROLES, key=lambda r: r == "ward_admin")}

    allowed = sorted(r for r, ok in outcome.items() if ok)
    assert allowed == sorted(cell.allowed), f"{cell.field}: allowed {allowed}"


def test_every_query_mutation_and_action_has_a_row() -> None:
    """Adding an operation to the schema means deciding who may use it, here."""
    from backend.api.registry import build_registry
    from backend.api.schema import build_schema

    schema = build_schema(build_registry())._schema
    fields = set(schema.query_type.fields) | set(schema.mutation_type.fields)  # type: ignore[union-attr]
    fields |= set(schema.get_type("ActionInput").fields)  # type: ignore[union-attr]
    fields -= {"push"}  # carries the actions, each with its own rows
    assert fields - {c.field for c in CELLS} == set()
    for cell in CELLS:
        if cell.operation is not None:
            operation(cell.operation)  # the shared operation exists
