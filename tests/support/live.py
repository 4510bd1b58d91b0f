"""Real server processes for crash, restart and concurrency scenarios, and what the tests check.

`LiveServers` starts `otagai serve` processes and always stops them at teardown (the
`live_servers` fixture); `Link` is the clients' one connection, re-pointed at whichever
process currently serves the database, the way a PWA keeps talking to the same address
while the server behind it is restarted. The `server_*` readers look at the database
itself, so a test can prove "applied once" by the rows and versions the server holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from backend.core.db import driver_url
from tests.support.client import OutboxClient
from tests.support.databases import test_note
from tests.support.server import ROOT, ServerProcess
from tests.support.transport import GraphQLTransport

# Connection errors a client sees when the server dies before or while replying.
CONNECTION_LOST = (httpx.TransportError,)
PLUGINS = "tests.support.test_actions:register,tests.support.server_plugins:cheap_password_hashing"


class LiveServers:
    """Starts server processes on a database; every one is stopped at teardown."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[ServerProcess] = []

    def start(self, database_url: str, *, workers: int = 1) -> ServerProcess:
        server = ServerProcess(database_url, workdir=self.workdir, workers=workers, plugins=PLUGINS)
        self.started.append(server)
        server.start()
        return server

    def stop_all(self) -> None:
        for server in self.started:
            try:
                server.stop()
            except (OSError, subprocess.SubprocessError):  # never leave the rest running
                server.kill()


@pytest.fixture(name="live_servers")
def live_servers_fixture(tmp_path: Path) -> Iterator[LiveServers]:
    """Import `live_servers_fixture` into a test module to use the `live_servers` fixture."""
    servers = LiveServers(tmp_path)
    try:
        yield servers
    finally:
        servers.stop_all()


class Link:
    """One HTTP connection for all of a test's devices, re-pointable after a restart."""

    def __init__(self, server: ServerProcess) -> None:
        self.http = self._client(server)
        self.gql = GraphQLTransport(self.http)

    @staticmethod
    def _client(server: ServerProcess) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=server.url, timeout=60)

    async def point_at(self, server: ServerProcess) -> None:
        await self.http.aclose()
        self.http = self._client(server)
        self.gql.http = self.http

    async def device(self, email: str, name: str = "住民", **fields: Any) -> OutboxClient:
        token, user_id = await self.gql.register(email, name)
        return OutboxClient(self.gql, token, user_id, **fields)

    async def aclose(self) -> None:
        await self.http.aclose()


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """An `otagai` command on a database, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "backend.api.cli", *args],
        cwd=ROOT, env={**os.environ, "OTAGAI_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=120, check=False,
    )


def new_epoch_cli(database_url: str) -> str:
    """`otagai db new-epoch` on a database, as an operator runs it after a restore."""
    done = cli(database_url, "db", "new-epoch")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


# -- what the server holds -----------------------------------------------------------------
@dataclass(frozen=True)
class NoteRow:
    text: str
    version: int
    deleted: bool


def _read(database_url: str, statement: Any) -> list[Any]:
    # NullPool: no connection outlives the read (a PostgreSQL copy needs an idle source).
    engine = sa.create_engine(driver_url(database_url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(statement))
    finally:
        engine.dispose()


def server_notes(database_url: str) -> dict[str, NoteRow]:
    rows = _read(database_url, sa.select(test_note.c.id, test_note.c.text, test_note.c.version,
                                         test_note.c.deleted))
    return {r.id: NoteRow(r.text, r.version, bool(r.deleted)) for r in rows}


def server_profile(database_url: str, user_id: str) -> tuple[str, int]:
    [row] = _read(database_url, sa.text(
        "SELECT display_name, version FROM account_user WHERE id = :id").bindparams(id=user_id))
    return row.display_name, row.version


def server_mutations(database_url: str, mutation_ids: list[str]) -> dict[str, Any]:
    """The mutation log rows of these mutationIds (at most one each: it is the primary key)."""
    found: dict[str, Any] = {}
    for start in range(0, len(mutation_ids), 500):
        chunk = mutation_ids[start : start + 500]
        for row in _read(database_url, sa.text(
            "SELECT mutation_id, client_id, seq, status, entity_id, version, clock_flagged, "
            "corrected_time FROM sync_mutation WHERE mutation_id IN :ids"
        ).bindparams(sa.bindparam("ids", chunk, expanding=True))):
            found[row.mutation_id] = row
    return found


def server_last_seq(database_url: str, client_id: str) -> int | None:
    rows = _read(database_url, sa.text(
        "SELECT last_seq FROM sync_client WHERE client_id = :id").bindparams(id=client_id))
    return int(rows[0].last_seq) if rows else None


def server_epoch(database_url: str) -> str:
    [row] = _read(database_url, sa.text("SELECT epoch FROM sync_server WHERE id = 1"))
    return str(row.epoch)


def visible_notes(database_url: str) -> dict[str, tuple[int, str]]:
    """The notes a puller should hold: every note not deleted, as (version, text)."""
    return {i: (n.version, n.text) for i, n in server_notes(database_url).items() if not n.deleted}


def replica_notes(device: OutboxClient) -> dict[str, tuple[int, str]]:
    return {
        entity_id: (entry["version"], entry["data"]["text"])
        for (entity_type, entity_id), entry in device.replica.items()
        if entity_type == "TestNote"
    }
