"""PFIF 1.4 export of an incident (People Finder Interchange Format, DATA.md).

One `pfif:person` per person who chose to be findable (public search on) and was reported on
in the incident, each holding one `pfif:note` per check-in, oldest first. Only the public
search consent counts, for ward admins and the operator's CLI alike: a PFIF file leaves the
ward for other registries, which is exactly what that consent is about.

What never leaves: date of birth, age (it would give the birth year away), phone numbers and
e-mail addresses, needs (often medical), and coordinates — a note names the shelter at most.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.accounts import people
from backend.accounts import service as accounts
from backend.core.errors import Forbidden, ValidationFailed
from backend.core.identity import Identity
from backend.safety import incidents
from backend.safety.models import CheckIn, Shelter
from backend.safety.rules import CONDITION_LABELS, PLACE_LABELS

PFIF_NS = "http://zesty.ca/pfif/1.4"
# The domain of this repository in record ids (`domain/local-id`); a ward sets its own.
DEFAULT_DOMAIN = "otagai.example.lg.jp"
DEFAULT_SOURCE_NAME = "Otagai"

# Field order of the PFIF 1.4 schema (xs:sequence): emitted in exactly this order.
PERSON_FIELDS = (
    "person_record_id", "entry_date", "expiry_date", "author_name", "author_email",
    "author_phone", "source_name", "source_date", "source_url", "full_name", "given_name",
    "family_name", "alternate_names", "description", "sex", "date_of_birth", "age",
    "home_street", "home_neighborhood", "home_city", "home_state", "home_postal_code",
    "home_country", "photo_url", "profile_urls",
)
NOTE_FIELDS = (
    "note_record_id", "person_record_id", "linked_person_record_id", "entry_date",
    "author_name", "author_email", "author_phone", "source_date", "author_made_contact",
    "status", "email_of_found_person", "phone_of_found_person", "last_known_location", "text",
    "photo_url",
)
PERSON_REQUIRED = ("person_record_id", "source_date", "full_name")
NOTE_REQUIRED = ("note_record_id", "author_name", "source_date")
# Withheld from ordinary readers (PFIF 1.4): never written, whatever a record holds.
WITHHELD = frozenset({
    "date_of_birth", "author_email", "author_phone", "email_of_found_person",
    "phone_of_found_person",
})

# Characters XML 1.0 cannot carry at all (control characters other than tab and newlines).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")

ET.register_namespace("pfif", PFIF_NS)


@dataclass(frozen=True)
class PersonRecord:
    fields: Mapping[str, str]
    notes: Sequence[Mapping[str, str]] = field(default_factory=tuple)


def pfif_time(value: datetime) -> str:
    """UTC `YYYY-MM-DDThh:mm:ssZ`, as PFIF requires."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def note_status(condition: str, reporter_role: str) -> str:
    """A check-in's condition as a PFIF note status."""
    if condition == "SAFE":
        return "is_note_author" if reporter_role == "SELF" else "believed_alive"
    if condition == "MISSING":
        return "believed_missing"
    if condition == "DECEASED":
        return "believed_dead"
    return "believed_alive"  # NEED_HELP, INJURED: alive, and the text says what is wrong


def note_text(*, condition: str, place: str, comment: str, is_drill: bool) -> str:
    """The carriers' wording (無事です / 被害があります / 自宅にいます / 避難所にいます) and the comment."""
    words = [CONDITION_LABELS[condition]["ja"], PLACE_LABELS[place]["ja"]]
    text = "。".join(words) + "。"
    if comment.strip():
        text += "\n" + comment.strip()
    return ("【訓練】" + text) if is_drill else text


def _element(parent: ET.Element, name: str, value: str) -> None:
    child = ET.SubElement(parent, f"{{{PFIF_NS}}}{name}")
    child.text = _NOT_XML.sub("", value.replace("\r\n", "\n"))


def _append_fields(parent: ET.Element, values: Mapping[str, str], order: Sequence[str],
                   required: Sequence[str]) -> None:
    unknown = set(values) - set(order)
    if unknown:
        raise ValueError(f"not PFIF 1.4 fields: {sorted(unknown)}")
    missing = [name for name in required if not values.get(name)]
    if missing:
        raise ValueError(f"missing mandatory PFIF fields: {missing}")
    for name in order:
        value = values.get(name)
        if value and name not in WITHHELD:
            _element(parent, name, value)


def build_document(persons: Iterable[PersonRecord]) -> bytes:
    """A PFIF 1.4 document (UTF-8 bytes) with notes nested in their person."""
    root = ET.Element(f"{{{PFIF_NS}}}pfif")
    for person in persons:
        element = ET.SubElement(root, f"{{{PFIF_NS}}}person")
        _append_fields(element, person.fields, PERSON_FIELDS, PERSON_REQUIRED)
        for note in person.notes:
            _append_fields(ET.SubElement(element, f"{{{PFIF_NS}}}note"), note, NOTE_FIELDS, NOTE_REQUIRED)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def note_fields(
    checkin: CheckIn, *, person_record_id: str, domain: str, author_name: str,
    shelter_name: str | None, is_drill: bool,
) -> dict[str, str]:
    alive = checkin.condition in ("SAFE", "NEED_HELP", "INJURED")
    values = {
        "note_record_id": f"{domain}/{checkin.id}",
        "person_record_id": person_record_id,
        "entry_date": pfif_time(checkin.received_at),
        "author_name": author_name,
        "source_date": pfif_time(checkin.reported_at),
        # Whoever reports someone alive vouches for it; missing or dead means no contact.
        "author_made_contact": "true" if alive else "false",
        "status": note_status(checkin.condition, checkin.reporter_role),
        "text": note_text(condition=checkin.condition, place=checkin.place,
                          comment=checkin.comment, is_drill=is_drill),
    }
    if checkin.place == "SHELTER" and shelter_name:
        values["last_known_location"] = shelter_name
    return values


@dataclass(frozen=True)
class _Subject:
    person_id: str
    full_name: str
    reading: str | None
    created_at: datetime


async def _subjects(session: AsyncSession, person_ids: Iterable[str]) -> list[_Subject]:
    found = []
    for person_id in sorted(set(person_ids)):
        person = await people.get_person(session, person_id)
        if person is not None and person.id == person_id:  # merges move reports to the survivor
            found.append(_Subject(person.id, person.display_name, person.search_kana, person.created_at))
    return sorted(found, key=lambda s: (s.created_at, s.person_id))


async def _names(session: AsyncSession, ids: Iterable[str]) -> dict[str, str]:
    """Display names of reporters (a user's person has the user's id)."""
    names: dict[str, str] = {}
    for person_id in sorted(set(ids)):
        person = await people.get_person(session, person_id)
        if person is not None:
            names[person_id] = person.display_name
        elif (user := await accounts.get_user(session, person_id)) is not None:
            names[person_id] = user.display_name
    return names


async def _shelter_names(session: AsyncSession, shelter_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(shelter_ids))
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(col(Shelter.id), col(Shelter.name)).where(col(Shelter.id).in_(ids))
    )
    return {row.id: row.name for row in rows}


async def export_pfif(
    session: AsyncSession, *, incident_id: str, actor: Identity | None,
    domain: str = DEFAULT_DOMAIN, source_name: str = DEFAULT_SOURCE_NAME,
) -> bytes:
    """The incident's findable people and their check-ins as PFIF 1.4 (actor None = the CLI)."""
    if actor is not None and not actor.is_ward_admin:
        raise Forbidden("Only ward administrators export safety data")
    if not _DOMAIN.fullmatch(domain):
        raise ValidationFailed("The PFIF domain must be a domain name, such as otagai.example.lg.jp")
    incident = await incidents.get_incident(session, incident_id)
    reports = list(await session.scalars(
        sa.select(CheckIn).where(col(CheckIn.incident_id) == incident.id)
        .order_by(col(CheckIn.reported_at), col(CheckIn.received_at), col(CheckIn.id))
    ))
    consents = await people.consents_of(session, sorted({c.subject_id for c in reports}))
    findable = {pid for pid, consent in consents.items() if consent.public_search}
    by_person: dict[str, list[CheckIn]] = {}
    for report in reports:
        if report.subject_id in findable:
            by_person.setdefault(report.subject_id, []).append(report)
    chosen = [c for notes in by_person.values() for c in notes]
    authors = await _names(session, (c.reporter_id for c in chosen))
    shelter_names = await _shelter_names(session, (c.shelter_id for c in chosen if c.shelter_id))
    source = f"{source_name}: {incident.name}" + ("（訓練）" if incident.is_drill else "")
    records = []
    for subject in await _subjects(session, by_person):
        record_id = f"{domain}/{subject.person_id}"
        fields = {
            "person_record_id": record_id,
            "entry_date": pfif_time(subject.created_at),
            # Personal data of the incident is purged then; copies should not outlive it.
            "expiry_date": pfif_time(incident.purge_after) if incident.purge_after else "",
            "source_name": source,
            "source_date": pfif_time(subject.created_at),
            "full_name": subject.full_name,
            "alternate_names": subject.reading or "",  # the reading (よみがな), folded
        }
        notes = [
            note_fields(c, person_record_id=record_id, domain=domain,
                        author_name=authors.get(c.reporter_id) or source_name,
                        shelter_name=shelter_names.get(c.shelter_id or ""), is_drill=incident.is_drill)
            for c in by_person[subject.person_id]
        ]
        records.append(PersonRecord(fields, notes))
    await accounts.audit(
        session, actor_id=actor.user_id if actor else None, action="safety.export.pfif",
        subject_type="Incident", subject_id=incident.id,
        detail={"persons": len(records), "notes": sum(len(r.notes) for r in records), "domain": domain},
    )
    return build_document(records)
