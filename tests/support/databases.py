"""Fresh databases for tests: SQLite files and PostgreSQL databases, dropped afterwards.

Each kind is migrated once into a template; every test gets its own copy.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
import sqlalchemy as sa

from backend.api.migrate import upgrade
from backend.core.db import driver_url

PG_ADMIN_URL = os.environ.get(
    "OTAGAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
KINDS = tuple(
    k.strip() for k in os.environ.get("OTAGAI_TEST_DATABASES", "sqlite,postgresql").split(",") if k.strip()
)

# A test-only table used by the test-only actions (tests/support/test_actions.py).
test_metadata = sa.MetaData()
test_note = sa.Table(
    "test_note",
    test_metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("owner_id", sa.String(36), nullable=False),
    sa.Column("text", sa.String(500), nullable=False),
    sa.Column("tag", sa.String(40), nullable=False, default=""),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
)


def _pg_base() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0]


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _add_test_tables(url: str) -> None:
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    test_metadata.create_all(engine)
    engine.dispose()


class MadeAhead:
    """Things made on a thread ahead of being asked for. A PostgreSQL copy of the template
    (CREATE DATABASE … TEMPLATE) takes ~0.2 s, as long as many a test: the next ones are made
    while the current test runs."""

    def __init__(self, make: Callable[[], str], ahead: int = 2) -> None:
        self._make = make
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="made-ahead")
        self._coming: deque[Future[str]] = deque(self._pool.submit(make) for _ in range(ahead))

    def take(self) -> str:
        self._coming.append(self._pool.submit(self._make))
        return self._coming.popleft().result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class DatabaseFactory:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._templates: dict[str, str] = {}
        self._created: list[str] = []
        self._ahead: MadeAhead | None = None

    def _template(self, kind: str) -> str:
        if kind not in self._templates:
            if kind == "sqlite":
                url = f"sqlite:///{self.workdir / 'template.sqlite3'}"
            else:
                name = f"otagai_tpl_{self.tag}"
                _pg_admin(f'CREATE DATABASE "{name}"')
                url = f"{_pg_base()}/{name}"
            upgrade(url)
            _add_test_tables(url)
            self._templates[kind] = url
        return self._templates[kind]

    def fresh(self, kind: str) -> str:
        if kind == "sqlite":
            return self.copy(self._template(kind), kind)
        if self._ahead is None:
            template = self._template(kind)
            self._ahead = MadeAhead(lambda: self.copy(template, kind))
        return self._ahead.take()

    def drop(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///") :])
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        else:
            _pg_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        if url in self._created:
            self._created.remove(url)

    def cleanup(self) -> None:
        if self._ahead is not None:
            self._ahead.close()  # the copies nobody took are in _created
        for url in list(self._created):
            self.drop(url)
        for kind, url in self._templates.items():
            if kind == "postgresql":
                _pg_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        self._templates.clear()

    def copy(self, source: str, kind: str) -> str:
        """A copy of a database as it is now, with nothing connected to it (PostgreSQL copies
        by template): a fresh one, a backup for restore tests, a world built once."""
        name = f"t_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            path = self.workdir / f"{name}.sqlite3"
            shutil.copyfile(source[len("sqlite:///") :], path)
            url = f"sqlite:///{path}"
        else:
            db_name = f"otagai_{self.tag}_{name}"
            _pg_admin(f'CREATE DATABASE "{db_name}" TEMPLATE "{source.rsplit("/", 1)[1]}"')
            url = f"{_pg_base()}/{db_name}"
        self._created.append(url)
        return url
