"""Downloads for ward admins: an incident as PFIF 1.4, its shelter status as CSV and GeoJSON."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from sqlmodel import col

from backend.accounts.models import AuditEntry
from tests.conftest import Api
from tests.safety.export_scenario import check_in, open_incident, resident, shelter, ward_admin

PFIF_NS = "http://zesty.ca/pfif/1.4"
KINDS = {
    "pfif.xml": "application/xml; charset=utf-8",
    "shelters.csv": "text/csv; charset=utf-8",
    "shelters.geojson": "application/geo+json",
}


def url(incident_id: str, name: str) -> str:
    return f"/exports/incidents/{incident_id}/{name}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def incident_with_a_findable_resident(api: Api) -> tuple[str, str]:
    incident_id = await open_incident(api)
    await shelter(api, "第一小学校", common_id="E1310400001211", capacity=10)
    token, hanako = await resident(api, "鈴木 花子", public_search=True)
    await check_in(api, incident_id=incident_id, subject_id=hanako, condition="SAFE", place="HOME")
    return incident_id, token


async def test_a_ward_admin_downloads_each_export_with_its_content_type(api: Api) -> None:
    incident_id, _ = await incident_with_a_findable_resident(api)
    admin_token, admin_id = await ward_admin(api)

    replies = {name: await api.http.get(url(incident_id, name), headers=bearer(admin_token)) for name in KINDS}

    assert {name: (r.status_code, r.headers["content-type"]) for name, r in replies.items()} == {
        name: (200, kind) for name, kind in KINDS.items()
    }
    for name, reply in replies.items():
        assert reply.headers["cache-control"] == "no-store"
        assert reply.headers["content-disposition"].startswith("attachment; filename=")
        assert name.rsplit(".", 1)[1] in reply.headers["content-disposition"]
    people = ET.fromstring(replies["pfif.xml"].content).findall(f"{{{PFIF_NS}}}person")
    assert [p.findtext(f"{{{PFIF_NS}}}full_name") for p in people] == ["鈴木 花子"]
    assert replies["shelters.csv"].content.startswith(b"\xef\xbb\xbf")
    assert "第一小学校" in replies["shelters.csv"].content.decode("utf-8-sig")
    features = json.loads(replies["shelters.geojson"].content)["features"]
    assert [f["properties"]["commonId"] for f in features] == ["E1310400001211"]
    async with api.parts.db.read_session() as session:
        audited = list(await session.execute(
            sa.select(col(AuditEntry.actor_id), col(AuditEntry.subject_id))
            .where(col(AuditEntry.action) == "safety.export.pfif")
        ))
    assert [tuple(r) for r in audited] == [(admin_id, incident_id)]


@pytest.mark.parametrize("name", list(KINDS))
async def test_a_resident_is_refused_with_403(api: Api, name: str) -> None:
    incident_id, resident_token = await incident_with_a_findable_resident(api)

    reply = await api.http.get(url(incident_id, name), headers=bearer(resident_token))

    assert reply.status_code == 403
    assert reply.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "鈴木" not in reply.text


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer not-a-real-token"}, {"Authorization": "Basic aGFuYWtvOnB3"},
    {"Authorization": "Bearer "},
], ids=["no token", "unknown token", "not bearer", "empty bearer"])
async def test_without_a_valid_token_the_answer_is_401(api: Api, headers: dict[str, str]) -> None:
    incident_id, _ = await incident_with_a_findable_resident(api)

    replies = [await api.http.get(url(incident_id, name), headers=headers) for name in KINDS]

    assert [r.status_code for r in replies] == [401, 401, 401]
    assert all(r.headers["www-authenticate"] == "Bearer" for r in replies)
    assert all(r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" for r in replies)


async def test_an_unknown_incident_is_404_for_an_admin(api: Api) -> None:
    admin_token, _ = await ward_admin(api)

    replies = [
        await api.http.get(url(incident, name), headers=bearer(admin_token))
        for incident in (str(uuid.uuid4()), "nonsense") for name in KINDS
    ]

    assert [r.status_code for r in replies] == [404] * 6
    assert {r.json()["errors"][0]["extensions"]["code"] for r in replies} == {"NOT_FOUND"}
