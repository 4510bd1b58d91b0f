"""Who may see a person's safety status (opt-in, per person), as feed audiences.

The person themself always; their household, their associations' leaders and the staff of
the shelter they are at only as the person chose (defaults: on, on, on); ward admins always
(ward staff see the whole ward, and every read of another person's status is audited).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.board import households
from backend.core import audience


async def status_audiences(session: AsyncSession, person_id: str, shelter_id: str | None) -> set[str]:
    person = await people.get_person(session, person_id)
    consent = await people.consent_of(session, person_id)
    result = {audience.WARD_ADMINS}
    if person is not None and person.user_id:
        result.add(audience.user(person.user_id))
    for household in await households.households_of_person(session, person_id):
        if consent.household:
            result.add(audience.household(household.id))
        if consent.leaders:
            result.add(audience.association_leaders(household.association_id))
    if shelter_id and consent.shelter_staff:
        result.add(audience.shelter_staff(shelter_id))
    return result
