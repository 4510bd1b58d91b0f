"""GraphQL types of safety (API.md "Safety")."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from backend.core.errors import ValidationFailed


@strawberry.enum(description="無事です ≈ SAFE, 被害があります ≈ NEED_HELP")
class Condition(Enum):
    SAFE = "SAFE"
    NEED_HELP = "NEED_HELP"
    INJURED = "INJURED"
    MISSING = "MISSING"
    DECEASED = "DECEASED"


@strawberry.enum(description="自宅にいます ≈ HOME, 避難所にいます ≈ SHELTER")
class Place(Enum):
    HOME = "HOME"
    SHELTER = "SHELTER"
    ELSEWHERE = "ELSEWHERE"
    UNKNOWN = "UNKNOWN"


@strawberry.enum
class Need(Enum):
    MEDICAL = "MEDICAL"
    MOBILITY = "MOBILITY"
    MEDICATION = "MEDICATION"
    FOOD = "FOOD"
    WATER = "WATER"
    BABY_SUPPLIES = "BABY_SUPPLIES"
    LANGUAGE = "LANGUAGE"
    OTHER = "OTHER"


@strawberry.enum(description="空き (< 50%) / 半分 (< 80%) / 混雑 (< 100%) / 満員")
class Crowding(Enum):
    EMPTY = "EMPTY"
    HALF = "HALF"
    CROWDED = "CROWDED"
    FULL = "FULL"
    UNKNOWN = "UNKNOWN"


@strawberry.input
class GeoPointInput:
    lat: float
    lon: float


@strawberry.input
class CheckInInput:
    id: strawberry.ID
    incident_id: strawberry.ID
    condition: Condition
    subject_id: strawberry.ID | None = None
    place: Place | None = None
    shelter_id: strawberry.ID | None = None
    needs: list[Need] | None = None
    comment: str | None = None
    location: GeoPointInput | None = None


@strawberry.input
class SafetyVisibilityInput:
    household: bool | None = None
    leaders: bool | None = None
    shelter_staff: bool | None = None
    public_search: bool | None = None
    exact_location: bool | None = None


@strawberry.input(description="A person without an account, registered by a proxy.")
class RegisterPersonInput:
    id: strawberry.ID
    display_name: str
    household_id: strawberry.ID | None = None
    name_kana: str | None = None
    birth_year: int | None = None
    phone: str | None = None
    # The person agreed to be findable by name (e.g. said so at reception).
    public_search: bool = False


@strawberry.input(description="Staff: the same person was registered twice; keep the first.")
class LinkPersonsInput:
    person_id: strawberry.ID
    duplicate_id: strawberry.ID


@strawberry.type
class Incident:
    id: strawberry.ID
    name: str
    is_drill: bool
    opened_at: datetime
    closed_at: datetime | None


@strawberry.type
class IncidentError:
    code: str
    message: str


IncidentResult = Annotated[Incident | IncidentError, strawberry.union("IncidentResult")]


@strawberry.type
class Shelter:
    id: strawberry.ID
    common_id: str | None
    name: str
    name_kana: str
    address: str
    kind: str
    welfare: bool
    lat: float
    lon: float
    capacity: int | None
    occupancy: int
    crowding: Crowding
    distance_meters: float | None
    is_open: bool


@strawberry.type
class ShelterEdge:
    node: Shelter
    cursor: str


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ShelterConnection:
    edges: list[ShelterEdge]
    page_info: PageInfo


@strawberry.type
class ConditionCount:
    condition: Condition
    count: int


@strawberry.type
class NeedCount:
    need: Need
    count: int


@strawberry.type
class PersonPresent:
    person_id: strawberry.ID
    display_name: str
    condition: Condition
    needs: list[Need]
    reported_at: datetime
    disputed: bool
    has_account: bool


@strawberry.type
class ShelterStatus:
    shelter_id: strawberry.ID
    incident_id: strawberry.ID
    is_open: bool
    occupancy: int
    capacity: int | None
    crowding: Crowding
    counts: list[ConditionCount]
    needs: list[NeedCount]
    # The view's people (backend.safety.views.Present); made into PersonPresent only for the
    # page asked for: a shelter can hold hundreds and the staff screen asks for 100.
    present: strawberry.Private[list[Any]]

    @strawberry.field(description="How many of the people present this reader may see by name (occupancy less "
                                  "those who keep their status from shelter staff).")
    def people_visible(self) -> int:
        return len(self.present)

    @strawberry.field(description="The people present this reader may see: those who need attention "
                                  "first (disputed, then not safe), then by name. `first` takes a page of "
                                  "a long list; without it, everyone.")
    def people(self, first: int | None = None) -> list[PersonPresent]:
        if first is not None and first < 1:
            raise ValidationFailed("first must be at least 1")
        chosen = self.present if first is None else self.present[:first]
        return [
            PersonPresent(person_id=strawberry.ID(p.person_id), display_name=p.display_name,
                          condition=Condition(p.condition), needs=[Need(n) for n in p.needs],
                          reported_at=p.reported_at, disputed=p.disputed, has_account=p.has_account)
            for p in chosen
        ]


@strawberry.type
class RollCallHousehold:
    id: strawberry.ID
    label: str
    address: str
    answered: bool
    latest_condition: Condition | None
    members: int


@strawberry.type
class RollCall:
    association_id: strawberry.ID
    incident_id: strawberry.ID
    unanswered_count: int
    households: list[RollCallHousehold]


@strawberry.type
class FoundPerson:
    display_name: str
    condition: Condition
    place: Place
    reported_at: datetime
