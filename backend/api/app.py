"""The Starlette application: GraphQL at /graphql, /healthz, and the PWA at /."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from backend.accounts.actions import AccountsParts
from backend.api import exports
from backend.api.metrics import metrics_endpoint
from backend.api.middleware import RequestGuard
from backend.api.registry import build_registry
from backend.api.schema import build_schema
from backend.api.view import OtagaiGraphQL
from backend.api.wiring import wire
from backend.core import logs, pubsub
from backend.core.actions import Registry
from backend.core.context import AppParts
from backend.core.db import Database
from backend.core.pubsub import Broker
from backend.core.settings import Settings, load_settings
from backend.push.parts import PushParts, build_push_parts, running_worker
from backend.sync.parts import SyncParts
from backend.sync.pull import PullEngine
from backend.sync.push import PushEngine
from backend.sync.server_state import ensure_server_state

log = logging.getLogger("otagai")
PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"



def build_parts(settings: Settings, registry: Registry) -> AppParts:
    db = Database(settings.database_url)
    parts = AppParts(settings=settings, db=db, registry=registry)
    parts.domains["accounts"] = AccountsParts(rate_limits=settings.rate_limits, redis_url=settings.redis_url)
    parts.domains["sync"] = SyncParts(
        pusher=PushEngine(db, registry),
        puller=PullEngine(db, registry),
        broker=Broker(settings.redis_url),
    )
    parts.domains["push"] = build_push_parts(settings)
    return parts


def create_app(settings: Settings | None = None, registry: Registry | None = None) -> Starlette:
    wire()
    settings = settings or load_settings()
    if settings.log_json:  # each uvicorn worker is its own process: configure it here
        logs.configure(json_lines=True)
    registry = registry or build_registry(settings.plugins)
    parts = build_parts(settings, registry)
    graphql = OtagaiGraphQL(build_schema(registry), parts)

    async def healthz(_: Request) -> JSONResponse:
        if await parts.db.ping():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable"}, status_code=503)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with parts.db.unit_of_work() as uow:
            await ensure_server_state(uow.session)
            await uow.commit()
        sync_parts: SyncParts = parts.domains["sync"]
        await sync_parts.broker.start()
        pubsub.install(sync_parts.broker)
        push_parts: PushParts = parts.domains["push"]
        try:
            async with contextlib.AsyncExitStack() as stack:
                if settings.push_worker:
                    await stack.enter_async_context(running_worker(push_parts, parts.db, settings))
                yield
        finally:
            pubsub.install(None)
            await sync_parts.broker.stop()
            await parts.domains["accounts"].aclose()
            await parts.db.dispose()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/exports/incidents/{incident_id}/pfif.xml", exports.pfif_download, methods=["GET"]),
        Route("/exports/incidents/{incident_id}/shelters.csv", exports.shelters_csv_download, methods=["GET"]),
        Route("/exports/incidents/{incident_id}/shelters.geojson", exports.shelters_geojson_download,
              methods=["GET"]),
        Mount("/", StaticFiles(directory=PWA_DIR, html=True, check_dir=False), name="pwa"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.parts = parts
    # Phones on a weak network: compress everything worth compressing (shell, pulls).
    app.add_middleware(GZipMiddleware, minimum_size=800)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    return app
