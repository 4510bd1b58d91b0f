"""File downloads for ward admins: an incident as PFIF 1.4, its shelter status as CSV/GeoJSON.

`GET /exports/incidents/{incident_id}/pfif.xml | shelters.csv | shelters.geojson` with an
`Authorization: Bearer <token>` header: 401 without a valid token, 403 for anyone but a ward
admin, 404 for an unknown incident. Each download is one unit of work, so the audit entry
of a PFIF export is committed before the file is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.accounts import service as accounts
from backend.core.context import AppParts
from backend.core.errors import DomainError, Forbidden, HttpError, NotFound, Unauthenticated
from backend.core.identity import Identity
from backend.safety import exports, pfif

PFIF_MEDIA_TYPE = "application/xml; charset=utf-8"
_STATUS = {Forbidden.code: 403, NotFound.code: 404}

Export = Callable[[AsyncSession, Identity, str], Awaitable[bytes]]


def _token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use an Authorization: Bearer <token> header")
    return token.strip()


def _error(status: int, code: str, message: str, request_id: str,
           headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]}
    return JSONResponse(body, status_code=status, headers=headers)


async def _download(request: Request, export: Export, *, media_type: str, filename: str) -> Response:
    parts: AppParts = request.app.state.parts
    request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
    incident_id = request.path_params["incident_id"]
    try:
        token = _token(request)
        async with parts.db.unit_of_work() as uow:
            identity = await accounts.authenticate(uow.session, token)
            if identity is None:
                raise Unauthenticated("The token is not valid or has expired; sign in again")
            body = await export(uow.session, identity, incident_id)
            await uow.commit()
    except HttpError as exc:
        return _error(exc.status, exc.code, exc.message, request_id, exc.headers)
    except DomainError as exc:
        return _error(_STATUS.get(exc.code, 400), exc.code, exc.message, request_id)
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename.format(incident_id)}"',
        "Cache-Control": "no-store",  # personal data must not stay in shared caches
    })


async def _pfif(session: AsyncSession, actor: Identity, incident_id: str) -> bytes:
    return await pfif.export_pfif(session, incident_id=incident_id, actor=actor)


def _shelters(fmt: str) -> Export:
    async def export(session: AsyncSession, actor: Identity, incident_id: str) -> bytes:
        incident, rows = await exports.shelter_status_rows(session, incident_id=incident_id, actor=actor)
        return exports.render(rows, fmt, incident)

    return export


async def pfif_download(request: Request) -> Response:
    return await _download(request, _pfif, media_type=PFIF_MEDIA_TYPE, filename="pfif-{}.xml")


async def shelters_csv_download(request: Request) -> Response:
    return await _download(request, _shelters("csv"), media_type=exports.CSV_MEDIA_TYPE,
                           filename="shelters-{}.csv")


async def shelters_geojson_download(request: Request) -> Response:
    return await _download(request, _shelters("geojson"), media_type=exports.GEOJSON_MEDIA_TYPE,
                           filename="shelters-{}.geojson")
