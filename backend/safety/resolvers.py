"""Thin GraphQL resolvers for safety; the rules live in the service modules."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from backend.core import pubsub
from backend.core.context import Context
from backend.core.errors import DomainError, ValidationFailed
from backend.core.pubsub import Broker
from backend.safety import incidents, search, shelters, views
from backend.safety.checkins import shelter_topic
from backend.safety.types import (
    Condition,
    ConditionCount,
    Crowding,
    FoundPerson,
    GeoPointInput,
    Incident,
    IncidentError,
    IncidentResult,
    Need,
    NeedCount,
    PageInfo,
    Place,
    RollCall,
    RollCallHousehold,
    Shelter,
    ShelterConnection,
    ShelterEdge,
    ShelterStatus,
)

MAX_PAGE = 100


def _incident(row: incidents.Incident) -> Incident:
    return Incident(id=strawberry.ID(row.id), name=row.name, is_drill=row.is_drill,
                    opened_at=row.opened_at, closed_at=row.closed_at)


def _status(view: views.ShelterView) -> ShelterStatus:
    return ShelterStatus(
        shelter_id=strawberry.ID(view.shelter_id), incident_id=strawberry.ID(view.incident_id),
        is_open=view.is_open, occupancy=view.occupancy, capacity=view.capacity,
        crowding=Crowding(view.crowding),
        counts=[ConditionCount(condition=Condition(c), count=n) for c, n in sorted(view.counts.items())],
        needs=[NeedCount(need=Need(k), count=n) for k, n in sorted(view.needs.items())],
        present=view.people,
    )


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        return int(base64.urlsafe_b64decode(after.encode()).decode().removeprefix("o:"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("Malformed cursor") from exc


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


@strawberry.type
class SafetyQuery:
    @strawberry.field(description="Open incidents and drills (drills are labelled isDrill).")
    async def incidents(self, info: Info[Context, None]) -> list[Incident]:
        async with info.context.db.read_session() as session:
            return [_incident(i) for i in await incidents.open_incidents(session)]

    @strawberry.field(description="Shelters and evacuation sites, nearest first when `near` is given.")
    async def shelters(
        self, info: Info[Context, None], near: GeoPointInput | None = None, open_only: bool = False,
        first: int = 20, after: str | None = None, incident_id: strawberry.ID | None = None,
    ) -> ShelterConnection:
        if not 1 <= first <= MAX_PAGE:
            raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}")
        start = _offset(after)
        async with info.context.db.read_session() as session:
            if incident_id is None:
                current = await incidents.open_incidents(session)
                incident = str(current[-1].id) if current else None
            else:
                incident = str(incident_id)
            opened = await shelters.statuses(session, incident)
            only = {sid for sid, status in opened.items() if status == shelters.OPEN} if open_only else None
            if near is not None:
                found = await shelters.nearest(session, lat=near.lat, lon=near.lon,
                                               limit=start + first + 1, only=only)
                ranked = [(s, d) for s, d in found]
            else:
                ranked = [(s, None) for s in await shelters.all_shelters(session) if only is None or s.id in only]
            occupancy = await shelters.occupancy_by_shelter(session, incident)
        page = ranked[start : start + first]
        edges = [
            ShelterEdge(
                cursor=_cursor(start + i + 1),
                node=Shelter(
                    id=strawberry.ID(s.id), common_id=s.common_id, name=s.name, name_kana=s.name_kana,
                    address=s.address, kind=s.kind, welfare=s.welfare, lat=s.lat, lon=s.lon,
                    capacity=s.capacity, occupancy=occupancy.get(s.id, 0),
                    crowding=Crowding(shelters.crowding(occupancy.get(s.id, 0), s.capacity)),
                    distance_meters=round(d, 1) if d is not None else None,
                    is_open=opened.get(s.id) == shelters.OPEN,
                ),
            )
            for i, (s, d) in enumerate(page)
        ]
        return ShelterConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(ranked) > start + first,
                               end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field(name="shelterStatus", description="Staff of the shelter and ward admins.")
    async def shelter_status(
        self, info: Info[Context, None], shelter_id: strawberry.ID, incident_id: strawberry.ID
    ) -> ShelterStatus:
        actor = info.context.require_identity()
        async with info.context.db.unit_of_work() as uow:
            view = await views.shelter_view(uow.session, actor=actor, shelter_id=str(shelter_id),
                                            incident_id=str(incident_id))
            await uow.commit()
        return _status(view)

    @strawberry.field(name="rollCall", description="Leaders of the association and ward admins.")
    async def roll_call(
        self, info: Info[Context, None], association_id: strawberry.ID, incident_id: strawberry.ID
    ) -> RollCall:
        actor = info.context.require_identity()
        async with info.context.db.unit_of_work() as uow:
            entries = await views.roll_call(uow.session, actor=actor, association_id=str(association_id),
                                            incident_id=str(incident_id))
            await uow.commit()
        return RollCall(
            association_id=association_id, incident_id=incident_id,
            unanswered_count=sum(1 for e in entries if not e.answered),
            households=[
                RollCallHousehold(id=strawberry.ID(e.household_id), label=e.label, address=e.address,
                                  answered=e.answered, members=e.members,
                                  latest_condition=Condition(e.latest_condition) if e.latest_condition else None)
                for e in entries
            ],
        )

    @strawberry.field(name="findPerson", description="Status only, only for people who opted in.")
    async def find_person(
        self, info: Info[Context, None], incident_id: strawberry.ID, name: str, phone: str | None = None
    ) -> list[FoundPerson]:
        actor = info.context.identity
        async with info.context.db.unit_of_work() as uow:
            found = await search.find_person(uow.session, actor_id=actor.user_id if actor else None,
                                             incident_id=str(incident_id), name=name, phone=phone)
            await uow.commit()
        return [FoundPerson(display_name=f.display_name, condition=Condition(f.condition),
                            place=Place(f.place), reported_at=f.reported_at) for f in found]


@strawberry.type
class ShelterOpening:
    shelter_id: strawberry.ID
    incident_id: strawberry.ID
    is_open: bool


@strawberry.type
class ShelterError:
    code: str
    message: str


SetShelterOpenResult = Annotated[ShelterOpening | ShelterError, strawberry.union("SetShelterOpenResult")]


@strawberry.type
class SafetyMutation:
    @strawberry.mutation(name="openIncident", description="Ward admins open an incident or a drill.")
    async def open_incident(self, info: Info[Context, None], name: str, drill: bool = False) -> IncidentResult:
        actor = info.context.require_identity()
        try:
            async with info.context.db.unit_of_work() as uow:
                row = await incidents.open_incident(uow.session, actor=actor, name=name, is_drill=drill)
                await uow.commit()
        except DomainError as exc:
            return IncidentError(code=exc.code, message=exc.message)
        return _incident(row)

    @strawberry.mutation(name="closeIncident", description="Closing a drill purges its personal data.")
    async def close_incident(self, info: Info[Context, None], id: strawberry.ID) -> IncidentResult:
        actor = info.context.require_identity()
        try:
            async with info.context.db.unit_of_work() as uow:
                row = await incidents.close_incident(uow.session, actor=actor, incident_id=str(id))
                await uow.commit()
        except DomainError as exc:
            return IncidentError(code=exc.code, message=exc.message)
        return _incident(row)

    @strawberry.mutation(name="setShelterOpen", description="Staff of the shelter or ward admins.")
    async def set_shelter_open(
        self, info: Info[Context, None], shelter_id: strawberry.ID, incident_id: strawberry.ID, open: bool
    ) -> SetShelterOpenResult:
        actor = info.context.require_identity()
        try:
            async with info.context.db.unit_of_work() as uow:
                await incidents.get_incident(uow.session, str(incident_id))
                row = await shelters.set_open(uow.session, actor=actor, shelter_id=str(shelter_id),
                                              incident_id=str(incident_id), is_open=open)
                await uow.commit()
        except DomainError as exc:
            return ShelterError(code=exc.code, message=exc.message)
        return ShelterOpening(shelter_id=shelter_id, incident_id=incident_id,
                              is_open=row.status == shelters.OPEN)


@strawberry.type
class SafetySubscription:
    @strawberry.subscription(name="shelterStatusChanged", description="The status, each time it changes.")
    async def shelter_status_changed(
        self, info: Info[Context, None], shelter_id: strawberry.ID, incident_id: strawberry.ID
    ) -> AsyncGenerator[ShelterStatus, None]:
        actor = info.context.require_identity()
        broker: Broker = pubsub.current()
        topic = shelter_topic(str(shelter_id), str(incident_id))

        async def current(audit: bool) -> ShelterStatus:
            async with info.context.db.unit_of_work() as uow:
                view = await views.shelter_view(uow.session, actor=actor, shelter_id=str(shelter_id),
                                                incident_id=str(incident_id), audit=audit)
                await uow.commit()
            return _status(view)

        async with broker.subscribe({topic}) as queue:
            # One audit entry for opening the live view, not one per refresh.
            last = await current(audit=True)
            yield last
            while True:
                await queue.get()
                await asyncio.sleep(0.05)  # let a burst of check-ins settle into one update
                while not queue.empty():
                    queue.get_nowait()
                latest = await current(audit=False)
                if latest != last:
                    last = latest
                    yield latest
