"""The push engine (SYNC.md "Push"): each action applied exactly once, in seq order.

One transaction per batch: an envelope's domain write, its mutation-log row and the client's
`last_seq` commit together, and a failed envelope rolls back alone. A crash before the commit
loses nothing the client was told about: it resends.

How a failed envelope rolls back alone, cheaply (measured in bench/sync_push.py): a SAVEPOINT
and its RELEASE per envelope were two of the three database round trips of a typical action
(and, past 64 subtransactions, PostgreSQL snapshots overflow to pg_subtrans). So a batch first
runs *optimistically*, without savepoints. If envelope i raises, the whole transaction is
rolled back and the batch runs again: envelopes before i without savepoints again, envelope i
answered from the error it raised (its handler is not run twice), and every envelope after i
inside its own savepoint, exactly as the plain savepoint-per-envelope algorithm does. The
committed result is therefore always that of the savepoint algorithm; a batch without
failures (the common case) pays for no savepoint at all, and a batch with one costs at most
one extra run of the envelopes before it. Handlers must keep side effects outside the
database in `after_commit` callbacks (they may run again after a rolled-back attempt).

The optimistic run also opens a batch scope (core/batching.py): batch-aware actions read what
the whole batch needs in a few queries and write their rows together at the end. If those
writes fail, the batch runs again without a scope, and the result is the same.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import batching, bulk, feed, metrics
from backend.core.actions import ActionContext, ActionOutcome, Registry
from backend.core.clock import as_utc, utcnow
from backend.core.db import Database, is_transient
from backend.core.errors import DomainError, ValidationFailed
from backend.sync import changefeed
from backend.sync import clock as sync_clock
from backend.sync.clients import Client, lock_client, record_progress
from backend.sync.envelopes import (
    DUPLICATE,
    NOT_PROCESSED,
    REJECTED,
    STATE_RESET,
    Batch,
    Envelope,
    PushReply,
    Result,
    args_hash,
    plain_args,
)
from backend.sync.models import SyncMutation

log = logging.getLogger(__name__)
DEFAULT_RETRY_MS = 1000
UNSTORABLE_TEXT = "Text may not contain a NUL (U+0000) or a lone surrogate character"

# Core tables: the hot path reads and writes rows, not ORM objects (no identity map, no
# unit-of-work bookkeeping, one INSERT for the batch's whole mutation log).
_MUTATION: sa.Table = SyncMutation.__table__  # type: ignore[attr-defined]
_STORED = (
    _MUTATION.c.mutation_id, _MUTATION.c.seq, _MUTATION.c.args_hash, _MUTATION.c.code,
    _MUTATION.c.message, _MUTATION.c.entity_type, _MUTATION.c.entity_id, _MUTATION.c.version,
    _MUTATION.c.change_seq,
)


@functools.cache
def _stored_statements(dialect: str) -> tuple[Any, Any]:
    """The replay lookups: by mutation id, and by the client's seqs (lists: core/bulk.py)."""
    seqs = bulk.in_list(_MUTATION.c.seq, bulk.list_param("seqs", dialect, sa.BigInteger()))
    return (bulk.rows_by_key(_MUTATION.c.mutation_id, bulk.list_param("ids", dialect), *_STORED),
            sa.select(*_STORED).where(_MUTATION.c.client_id == sa.bindparam("client_id"), seqs))


@dataclass
class _Stored:
    """The first result of an action (a `sync_mutation` row, or one logged in this batch)."""

    args_hash: str
    code: str | None
    message: str | None
    entity_type: str | None
    entity_id: str | None
    version: int | None
    change_seq: int | None
    first: Result | None = None  # logged in this batch: its change seq comes at the flush


class _Retry(Exception):
    """Envelope `index` raised in a run without savepoints: roll back and run the batch again."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index)
        self.index = index
        self.error = error


def _from_stored(env: Envelope, stored: Any) -> Result:
    return Result(
        mutation_id=env.mutation_id,
        seq=env.seq,
        status=DUPLICATE,
        code=stored.code,
        message=stored.message,
        entity_type=stored.entity_type,
        entity_id=stored.entity_id,
        version=stored.version,
        change_seq=stored.change_seq,
    )


def _reusable(error: Exception) -> bool:
    """Whether an error raised in the optimistic run can answer the envelope in the rerun.

    Database errors are not reused: on PostgreSQL the statement may have failed only because
    an earlier envelope left the transaction aborted; the rerun tries again in a savepoint.
    """
    return not isinstance(error, SQLAlchemyError)


# Pushes applied at once by one server process. A surge's further pushes wait here, which
# costs nothing, rather than in the database: more transactions than cores only take turns
# at the feed's counter lock, and past the connection pool (10) each opens a connection of
# its own and prepares every statement again (bench/checkin_surge.py).
WRITERS = 6


class PushEngine:
    def __init__(self, db: Database, registry: Registry, *, writers: int = WRITERS) -> None:
        self.db = db
        self.registry = registry
        self._writers = asyncio.Semaphore(writers)

    async def push(self, *, user_id: str, batch: Batch) -> PushReply:
        received_at = utcnow()  # on arrival: the clock correction must not count the wait
        async with self._writers:
            return await self._push(user_id, batch, received_at)

    async def _push(self, user_id: str, batch: Batch, received_at: Any) -> PushReply:
        correction = sync_clock.measure(received_at, batch.sent_at)
        envelopes = sorted(batch.envelopes, key=lambda e: e.seq)
        failed: _Retry | None = None
        scoped = True
        while True:
            try:
                reply = await self._attempt(user_id, batch, envelopes, correction, received_at, failed,
                                            scoped and failed is None)
            except _Retry as retry:
                # Strictly earlier each time (only envelopes before `failed` run optimistically).
                assert failed is None or retry.index < failed.index
                failed = retry
                continue
            except batching.Fallback as fallback:
                assert scoped
                log.info("batched writes failed (%s); running the batch again without a scope", fallback)
                scoped = False
                continue
            for status, count in Counter(r.status for r in reply.results).items():
                metrics.SYNC_ACTIONS.labels(status).inc(count)
            return reply

    async def _attempt(
        self,
        user_id: str,
        batch: Batch,
        envelopes: list[Envelope],
        correction: sync_clock.Correction,
        received_at: Any,
        failed: _Retry | None,
        scoped: bool,
    ) -> PushReply:
        async with self.db.unit_of_work() as uow:
            session = uow.session
            client = await lock_client(session, batch, user_id)
            reply = PushReply(
                results=[],
                last_processed_seq=0,
                server_epoch=client.epoch,
                server_time=received_at,
                clock_offset_ms=correction.offset_ms,
            )
            if batch.server_epoch is not None and batch.server_epoch != client.epoch:
                # The server went back in time (a restore): the client must re-register and
                # re-send everything it still holds; mutationIds keep that exactly-once.
                reply.state = STATE_RESET
                reply.last_processed_seq = client.last_seq
                reply.results = [
                    Result(e.mutation_id, e.seq, NOT_PROCESSED, "EPOCH_CHANGED", "The server was restored; re-register and resend")
                    for e in envelopes
                ]
                await uow.commit()
                return reply
            if scoped:
                batching.open_scope(session)
            try:
                logged, replays = await self._process(
                    session, client, envelopes, correction, received_at, reply, user_id, failed
                )
                await batching.settle(session)
            finally:
                batching.close_scope(session)
            await record_progress(session, client, batch, seen_at=received_at,
                                  clock_offset_ms=correction.offset_ms)
            # The feed and the mutation log last, then the commit at once (changefeed.py).
            await changefeed.flush_changes(session, [(row, records) for _, row, records in logged])
            for result, row, _ in logged:
                result.change_seq = row["change_seq"]
            for replay, first in replays:  # the same mutationId twice in this batch
                replay.change_seq = first.change_seq
            reply.touched = changefeed.take_touched_audiences(session)
            reply.last_processed_seq = client.last_seq
            await uow.commit()
        return reply

    async def _process(
        self,
        session: AsyncSession,
        client: Client,
        envelopes: list[Envelope],
        correction: sync_clock.Correction,
        received_at: Any,
        reply: PushReply,
        user_id: str,
        failed: _Retry | None,
    ) -> tuple[list[tuple[Result, dict[str, Any], list[feed.ChangeRecord]]], list[tuple[Result, Result]]]:
        by_id, by_seqs = _stored_statements(session.get_bind().dialect.name)
        ids = [e.mutation_id for e in envelopes]
        stored: dict[str, Any] = {row.mutation_id: row for row in await session.execute(by_id, {"ids": ids})}
        old_seqs = [e.seq for e in envelopes if e.seq <= client.last_seq and e.mutation_id not in stored]
        by_seq: dict[int, Any] = {}
        if old_seqs:
            by_seq = {
                row.seq: row
                for row in await session.execute(by_seqs, {"client_id": client.client_id, "seqs": old_seqs})
            }
        logged: list[tuple[Result, dict[str, Any], list[feed.ChangeRecord]]] = []
        replays: list[tuple[Result, Result]] = []
        scope = batching.scope_of(session)
        if scope is not None:
            await self._prepare(session, user_id, [
                e for e in envelopes if e.seq > client.last_seq and e.mutation_id not in stored
            ])
        previous_action: str | None = None
        for index, env in enumerate(envelopes):
            plain, storable = plain_args(env.action, env.args)
            digest = args_hash(env.args_version, plain)
            first = stored.get(env.mutation_id)
            if first is not None and env.seq <= client.last_seq + 1:
                if first.args_hash != digest:
                    result = Result(env.mutation_id, env.seq, REJECTED, "IDEMPOTENCY_KEY_REUSE",
                                    "This mutationId was already used for a different action")
                else:
                    result = _from_stored(env, first)
                    if isinstance(first, _Stored) and first.first is not None:
                        replays.append((result, first.first))
                if env.seq == client.last_seq + 1:  # a re-registered client re-sending
                    client.last_seq = env.seq
                reply.results.append(result)
                continue
            if env.seq <= client.last_seq:
                earlier = by_seq.get(env.seq)
                reply.results.append(
                    _from_stored(env, earlier) if earlier else Result(env.mutation_id, env.seq, DUPLICATE)
                )
                continue
            if env.seq > client.last_seq + 1:
                for rest in envelopes[index:]:
                    reply.results.append(
                        Result(rest.mutation_id, rest.seq, NOT_PROCESSED, "SEQ_GAP",
                               f"Expected seq {client.last_seq + 1} first")
                    )
                break
            corrected, flagged = correction.correct(env.client_time, received_at)
            ctx = ActionContext(
                user_id=user_id,
                client_id=client.client_id,
                mutation_id=env.mutation_id,
                client_time=as_utc(env.client_time),
                corrected_time=corrected,
                clock_flagged=flagged,
                received_at=received_at,
            )
            if scope is not None and previous_action not in (None, env.action):
                await batching.settle(session)  # no handler reads around another's pending writes
            previous_action = env.action
            mark = len(feed.pending(session))
            error: Exception | None = None
            outcome: ActionOutcome | None = None
            if not storable:  # refused before its handler: nothing of it could be stored
                error = ValidationFailed(UNSTORABLE_TEXT)
            elif failed is None or index < failed.index:
                # Optimistic: no savepoint. Any failure rolls the whole batch back (see top).
                try:
                    outcome = await self._apply(session, ctx, env)
                    if session.new or session.dirty or session.deleted:  # Core-only handlers: none
                        await session.flush()
                except batching.Fallback:
                    raise  # a handler settled the scope, and that failed: see push()
                except Exception as exc:
                    raise _Retry(index, exc) from exc
            elif index == failed.index and _reusable(failed.error):
                error = failed.error  # what it raised in the rolled-back run; not run twice
            else:
                try:
                    async with session.begin_nested():
                        outcome = await self._apply(session, ctx, env)
                        await session.flush()
                except Exception as exc:  # noqa: BLE001 - classified below, logged if unexpected
                    error = exc
            if outcome is not None:
                result = Result(
                    env.mutation_id, env.seq, outcome.status, None, outcome.message,
                    outcome.entity_type, outcome.entity_id, outcome.version,
                )
            elif isinstance(error, DomainError):
                feed.truncate(session, mark)
                result = Result(env.mutation_id, env.seq, REJECTED, error.code, error.message)
            else:
                feed.truncate(session, mark)
                assert error is not None
                if is_transient(error):
                    retry = getattr(error, "retry_after_ms", DEFAULT_RETRY_MS)
                    reply.retry_after_ms = retry
                    for rest in envelopes[index:]:
                        reply.results.append(
                            Result(rest.mutation_id, rest.seq, NOT_PROCESSED, "TRANSIENT",
                                   "Temporarily unable to apply; will retry")
                        )
                    break
                log.error("action %s (%s) failed unexpectedly", env.action, env.mutation_id, exc_info=error)
                result = Result(env.mutation_id, env.seq, REJECTED, "INTERNAL_ERROR",
                                "The server could not apply this action")
            records = feed.pending(session)[mark:]  # their change seqs come at the flush
            client.last_seq = env.seq
            reply.results.append(result)
            message = (result.message or None) and result.message[:500]
            row = {
                "mutation_id": env.mutation_id,
                "client_id": client.client_id,
                "seq": env.seq,
                "user_id": user_id,
                "action": env.action,
                "args_version": env.args_version,
                "args_hash": digest,
                "args": plain,
                "client_time": ctx.client_time,
                "corrected_time": ctx.corrected_time,
                "clock_flagged": flagged,
                "received_at": received_at,
                "status": result.status,
                "code": result.code,
                "message": message,
                "entity_type": result.entity_type,
                "entity_id": result.entity_id,
                "version": result.version,
                "change_seq": None,
            }
            # The same id twice in one batch is a replay of this first result.
            stored[env.mutation_id] = _Stored(
                digest, result.code, message, result.entity_type, result.entity_id, result.version,
                None, result,
            )
            logged.append((result, row, records))
        return logged, replays

    async def _prepare(self, session: AsyncSession, user_id: str, envelopes: list[Envelope]) -> None:
        """Let batch-aware actions read, once, what these envelopes will need."""
        by_action: dict[str, list[Any]] = {}
        for env in envelopes:
            spec = self.registry.actions.get(env.action)
            if spec is not None and spec.prepare is not None and env.args_version in spec.args_versions:
                by_action.setdefault(env.action, []).append(env.args)
        for name, args in by_action.items():
            prepare = self.registry.actions[name].prepare
            assert prepare is not None
            await prepare(session, user_id, args)

    async def _apply(self, session: AsyncSession, ctx: ActionContext, env: Envelope) -> ActionOutcome:
        spec = self.registry.actions.get(env.action)
        if spec is None:
            raise DomainError(f"Unknown action {env.action}", code="UNKNOWN_ACTION")
        args = env.args
        if env.args_version not in spec.args_versions:
            if spec.upgrade is None or not 1 <= env.args_version < max(spec.args_versions):
                raise DomainError(
                    f"{env.action} argsVersion {env.args_version} is not supported",
                    code="VERSION_NOT_SUPPORTED",
                )
            args = spec.upgrade(env.args_version, args)
        return await spec.handler(session, ctx, args)
