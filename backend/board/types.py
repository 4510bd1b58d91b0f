"""GraphQL types of the board domain (associations and households so far)."""

from __future__ import annotations

import strawberry


@strawberry.input(description="A household: a resident's own, or one a leader records.")
class CreateHouseholdInput:
    id: strawberry.ID
    association_id: strawberry.ID
    label: str
    address: str = ""
    group_name: str = ""
    join_self: bool = False


@strawberry.input(description="Leaders: add a person to a household of their association.")
class AddHouseholdMemberInput:
    household_id: strawberry.ID
    person_id: strawberry.ID
