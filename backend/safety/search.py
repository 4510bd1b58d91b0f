"""`findPerson`: public name search, status only, only for people who opted in.

Names match across kana/kanji input variants the way people type them (full/half width via
NFKC, katakana and hiragana alike, spaces ignored) and in either name order. A phone number,
when given, narrows namesakes down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts import people
from backend.accounts import service as accounts
from backend.core.errors import ValidationFailed
from backend.safety import incidents
from backend.safety.models import SafetyStatus

MAX_RESULTS = 20


@dataclass(frozen=True)
class Found:
    display_name: str
    condition: str
    place: str
    reported_at: datetime


async def find_person(
    session: AsyncSession, *, actor_id: str | None, incident_id: str, name: str, phone: str | None
) -> list[Found]:
    if len(people.fold_name(name)) < 2:
        raise ValidationFailed("Enter at least two characters of the name")
    await incidents.get_incident(session, incident_id)
    keys = people.name_orders(name)
    digits = people.clean_phone(phone) if phone else None
    candidates = await people.publicly_findable(session, name_keys=keys)
    if digits:  # namesakes told apart by the phone number's last digits
        candidates = [c for c in candidates if c[2] and c[2].endswith(digits[-8:])]
    names = {person_id: display_name for person_id, display_name, _ in candidates}
    statuses = list(
        await session.scalars(
            sa.select(SafetyStatus).where(
                SafetyStatus.incident_id == incident_id,
                SafetyStatus.person_id.in_(sorted(names)),  # type: ignore[attr-defined]
            )
        )
    )
    statuses.sort(key=lambda s: (names[s.person_id], s.person_id))
    rows = statuses[:MAX_RESULTS]
    await accounts.audit(
        session, actor_id=actor_id, action="safety.read.find", subject_type="Incident",
        subject_id=incident_id, detail={"results": len(rows)},
    )
    return [Found(names[r.person_id], r.condition, r.place, r.reported_at) for r in rows]
