"""Database engines and the unit of work.

One request, one replayed push batch or one worker job is one unit of work: services take the
session and never commit; the unit of work runs the pre-commit hooks (the change feed is
flushed there, inside the transaction) and the after-commit callbacks (pokes) after it.

SQLite: writers take the lock up front with BEGIN IMMEDIATE, so writers are serialized and
change sequence numbers are allocated in commit order; readers use plain deferred
transactions in WAL mode and never block writers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend.core.errors import TransientError

log = logging.getLogger(__name__)

PreCommitHook = Callable[[AsyncSession], Awaitable[None]]
_PRECOMMIT_HOOKS: list[PreCommitHook] = []


def register_precommit_hook(hook: PreCommitHook) -> None:
    """Run `hook(session)` inside every write transaction just before it commits."""
    if hook not in _PRECOMMIT_HOOKS:
        _PRECOMMIT_HOOKS.append(hook)


def driver_url(url: str, *, sync: bool = False) -> str:
    """Turn the driverless OTAGAI_DATABASE_URL into a SQLAlchemy URL with our drivers."""
    if url.startswith("sqlite:///"):
        return url if sync else "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            driver = "postgresql+psycopg://" if sync else "postgresql+asyncpg://"
            return driver + url[len(prefix) :]
    raise ValueError(
        f"OTAGAI_DATABASE_URL must start with sqlite:/// or postgresql:// (got {url!r})"
    )


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    rest = url[len("sqlite:///") :]
    if rest in ("", ":memory:"):
        return None
    return Path(rest)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions on its own; we emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


POOL_SIZE = 16  # PostgreSQL connections each process keeps
POOL_OVERFLOW = 4  # opened beyond those at busy moments, and closed again
# PostgreSQL connections are replaced after this many seconds, so that their cached plans
# are made again against the tables as they are now. Each connection keeps a plan per
# prepared statement, and after five executions PostgreSQL may keep one made for any
# parameters (a generic plan) until the connection ends; nothing else re-plans it here
# (autovacuum, whose ANALYZE would, is off on this machine kind). Made while a surge's
# tables were nearly empty, such a plan read tables whole to find a row by its key —
# every stored mutation for each push, every sync client for each client update — at a
# cost growing with the surge (bench/checkin_surge.py). A new connection costs a few
# milliseconds; a plan made when its tables were small now reads at most what the ward
# wrote in one lifetime.
CONNECTION_LIFETIME_S = 30


def _make_engine(url: str, *, begin: str | None, pool_size: int) -> AsyncEngine:
    kwargs: dict[str, Any] = {}
    if url.startswith("postgresql"):
        # Overflow connections are closed when given back: under a surge each one was a new
        # PostgreSQL backend that prepared every statement again (bench/checkin_surge.py: 16
        # devices pushing at once). So the pool keeps most of them; 20 at most, as before.
        kwargs.update(pool_size=pool_size, max_overflow=POOL_OVERFLOW, pool_timeout=10,
                      pool_recycle=CONNECTION_LIFETIME_S)
    engine = create_async_engine(driver_url(url), **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        statement = begin or "BEGIN"

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql(statement)

    return engine


_AFTER_COMMIT = "otagai.after_commit"
# How long a SQLite write transaction queues in-process before falling back on busy_timeout.
WRITER_QUEUE_TIMEOUT_S = 10.0


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None] | None]) -> None:
    """Run `callback` once the transaction of `session` has committed (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


class UnitOfWork:
    """One transaction; `after_commit` callbacks run only when it committed."""

    def __init__(self, session: AsyncSession, on_end: Callable[[], None] | None = None) -> None:
        self.session = session
        self._after_commit: list[Callable[[], Awaitable[None] | None]] = []
        self._on_end = on_end

    def after_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        self._after_commit.append(callback)

    async def commit(self) -> None:
        for hook in _PRECOMMIT_HOOKS:
            await hook(self.session)
        await self.session.commit()
        if self._on_end is not None:  # the next writer may start while callbacks run
            self._on_end()
        callbacks, self._after_commit = self._after_commit, []
        callbacks += self.session.info.pop(_AFTER_COMMIT, [])
        for callback in callbacks:
            try:
                result = callback()
                if result is not None:
                    await result
            except Exception:  # an after-commit side effect never undoes the commit
                log.exception("after-commit callback failed")


def is_transient(exc: BaseException) -> bool:
    """Lock timeouts, deadlocks, serialization failures, lost connections and a database
    that cannot be reached at all (refused, reset, timed out: worth trying again soon)."""
    if isinstance(exc, TransientError | ConnectionError | TimeoutError | PoolTimeout):
        return True  # PoolTimeout: every pooled connection busy (overload): try again shortly
    cause = exc.__cause__
    if cause is not None and cause is not exc and isinstance(cause, ConnectionError | TimeoutError):
        return True
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        text = str(exc.orig).lower()
        return any(
            marker in text
            for marker in ("deadlock", "could not serialize", "lock timeout", "database is locked")
        )
    return False


class Database:
    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        self.write_engine = _make_engine(url, begin="BEGIN IMMEDIATE", pool_size=pool_size)
        self.read_engine = (
            _make_engine(url, begin="BEGIN", pool_size=pool_size)
            if self.dialect == "sqlite"
            else self.write_engine
        )
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._sqlite_writers: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    def _writer_queue(self) -> asyncio.Lock | None:
        """SQLite only: the FIFO queue of this process's write transactions.

        SQLite admits one writer at a time (BEGIN IMMEDIATE). Left to SQLite, waiting writers
        poll with growing sleeps (the busy handler), so a late writer can barge ahead while an
        early one sleeps. Measured in bench/sync_push.py with 8 devices pushing at once: p99
        8.7 s per 100-action batch, and some requests failed with "database is locked" once
        the 10 s busy_timeout ran out. Queueing on an asyncio lock first hands the database
        over in arrival order with no sleeping (p99 under 1 s, no failures). It is an
        optimisation only: BEGIN IMMEDIATE and busy_timeout still serialize writers (and
        writers of other processes).
        """
        if self.dialect != "sqlite":
            return None
        loop = asyncio.get_running_loop()
        if self._sqlite_writers is None or self._sqlite_writers[0] is not loop:
            self._sqlite_writers = (loop, asyncio.Lock())
        return self._sqlite_writers[1]

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """A write transaction. Commit explicitly with `await uow.commit()`; else rolled back."""
        queue = self._writer_queue()
        queued = False
        if queue is not None:
            try:
                async with asyncio.timeout(WRITER_QUEUE_TIMEOUT_S):
                    await queue.acquire()
                queued = True
            except TimeoutError:
                # A writer that waits on itself (a unit of work opened inside another) or a
                # very long transaction: go on as before, SQLite's busy_timeout decides.
                log.warning("SQLite writer queue wait over %ss; using busy_timeout", WRITER_QUEUE_TIMEOUT_S)

        def leave() -> None:
            nonlocal queued
            if queued:
                queued = False
                assert queue is not None
                queue.release()

        try:
            async with self._write_sessions() as session:
                uow = UnitOfWork(session, on_end=leave)
                try:
                    yield uow
                finally:
                    session.info.pop(_AFTER_COMMIT, None)
                    if session.in_transaction():
                        await session.rollback()
        finally:
            leave()

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction: one consistent snapshot for everything it reads."""
        async with self._read_sessions() as session:
            if self.dialect == "postgresql":
                await session.connection(
                    execution_options={"isolation_level": "REPEATABLE READ"}
                )
            # Closing (not rolling back) ends the snapshot without expiring loaded objects.
            yield session

    async def ping(self) -> bool:
        try:
            async with self.read_engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 — a health check: any failure means "not reachable"
            return False

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
