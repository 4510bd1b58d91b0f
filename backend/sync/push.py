"""The push engine (SYNC.md "Push"): each action applied exactly once, in seq order.

One transaction per batch with a savepoint per envelope: an envelope's domain write, its
mutation-log row and the client's `last_seq` commit together, and a failed envelope rolls
back alone. A crash before the commit loses nothing the client was told about: it resends.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import feed
from backend.core.actions import ActionContext, ActionOutcome, Registry
from backend.core.clock import as_utc, utcnow
from backend.core.db import Database, is_transient
from backend.core.errors import DomainError, HttpError
from backend.sync import changefeed
from backend.sync import clock as sync_clock
from backend.sync.envelopes import (
    APPLIED,
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
from backend.sync.models import SyncClient, SyncMutation
from backend.sync.server_state import server_state

log = logging.getLogger(__name__)
MAX_ACTIONS = 100
DEFAULT_RETRY_MS = 1000


class ClientOwnedByAnotherUser(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "CLIENT_OWNED_BY_ANOTHER_USER", "This clientId belongs to another user")


def check_batch_size(count: int, body_bytes: int | None, max_bytes: int) -> None:
    if count > MAX_ACTIONS or (body_bytes is not None and body_bytes > max_bytes):
        raise HttpError(
            413,
            "BATCH_TOO_LARGE",
            f"A push carries at most {MAX_ACTIONS} actions and {max_bytes} bytes",
            extra={"maxActions": MAX_ACTIONS, "maxBytes": max_bytes},
        )


async def _lock_client(session: AsyncSession, batch: Batch, user_id: str) -> SyncClient:
    now = utcnow()
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(SyncClient)
        .values(
            client_id=batch.client_id,
            user_id=user_id,
            last_seq=0,
            app_version=batch.app_version[:40],
            created_at=now,
            last_seen_at=now,
        )
        .on_conflict_do_nothing(index_elements=["client_id"])
    )
    stmt = sa.select(SyncClient).where(SyncClient.client_id == batch.client_id)
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    client = (await session.scalars(stmt.execution_options(populate_existing=True))).one()
    if client.user_id != user_id:
        raise ClientOwnedByAnotherUser()
    return client


def _from_stored(env: Envelope, stored: SyncMutation) -> Result:
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


class PushEngine:
    def __init__(self, db: Database, registry: Registry) -> None:
        self.db = db
        self.registry = registry

    async def push(self, *, user_id: str, batch: Batch) -> PushReply:
        received_at = utcnow()
        correction = sync_clock.measure(received_at, batch.sent_at)
        envelopes = sorted(batch.envelopes, key=lambda e: e.seq)
        async with self.db.unit_of_work() as uow:
            session = uow.session
            state = await server_state(session)
            reply = PushReply(
                results=[],
                last_processed_seq=0,
                server_epoch=state.epoch,
                server_time=received_at,
                clock_offset_ms=correction.offset_ms,
            )
            client = await _lock_client(session, batch, user_id)
            if batch.server_epoch is not None and batch.server_epoch != state.epoch:
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
            logged = await self._process(session, client, envelopes, correction, received_at, reply, user_id)
            client.last_seen_at = received_at
            client.app_version = batch.app_version[:40]
            client.clock_offset_ms = correction.offset_ms
            await changefeed.flush_changes(session)
            for result, row, records in logged:
                seqs = [r.change_seq for r in records if r.change_seq is not None]
                result.change_seq = row.change_seq = max(seqs) if seqs else None
            session.add_all([row for _, row, _ in logged])
            session.add(client)
            await session.flush()
            reply.touched = changefeed.take_touched_audiences(session)
            reply.last_processed_seq = client.last_seq
            await uow.commit()
        return reply

    async def _process(
        self,
        session: AsyncSession,
        client: SyncClient,
        envelopes: list[Envelope],
        correction: sync_clock.Correction,
        received_at: Any,
        reply: PushReply,
        user_id: str,
    ) -> list[tuple[Result, SyncMutation, list[feed.ChangeRecord]]]:
        ids = [e.mutation_id for e in envelopes]
        stored: dict[str, SyncMutation] = {
            m.mutation_id: m
            for m in await session.scalars(sa.select(SyncMutation).where(SyncMutation.mutation_id.in_(ids)))
        }
        old_seqs = [e.seq for e in envelopes if e.seq <= client.last_seq and e.mutation_id not in stored]
        by_seq: dict[int, SyncMutation] = {}
        if old_seqs:
            by_seq = {
                m.seq: m
                for m in await session.scalars(
                    sa.select(SyncMutation).where(
                        SyncMutation.client_id == client.client_id, SyncMutation.seq.in_(old_seqs)
                    )
                )
            }
        logged: list[tuple[Result, SyncMutation, list[feed.ChangeRecord]]] = []
        for index, env in enumerate(envelopes):
            plain = plain_args(env.action, env.args)
            digest = args_hash(env.args_version, plain)
            first = stored.get(env.mutation_id)
            if first is not None:
                if first.args_hash != digest:
                    result = Result(env.mutation_id, env.seq, REJECTED, "IDEMPOTENCY_KEY_REUSE",
                                    "This mutationId was already used for a different action")
                else:
                    result = _from_stored(env, first)
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
            mark = len(feed.pending(session))
            try:
                async with session.begin_nested():
                    outcome = await self._apply(session, ctx, env)
                    await session.flush()
                result = Result(
                    env.mutation_id, env.seq, outcome.status, None, outcome.message,
                    outcome.entity_type, outcome.entity_id, outcome.version,
                )
            except DomainError as exc:
                feed.truncate(session, mark)
                result = Result(env.mutation_id, env.seq, REJECTED, exc.code, exc.message)
            except Exception as exc:
                feed.truncate(session, mark)
                if is_transient(exc):
                    retry = getattr(exc, "retry_after_ms", DEFAULT_RETRY_MS)
                    reply.retry_after_ms = retry
                    for rest in envelopes[index:]:
                        reply.results.append(
                            Result(rest.mutation_id, rest.seq, NOT_PROCESSED, "TRANSIENT",
                                   "Temporarily unable to apply; will retry")
                        )
                    break
                log.exception("action %s (%s) failed unexpectedly", env.action, env.mutation_id)
                result = Result(env.mutation_id, env.seq, REJECTED, "INTERNAL_ERROR",
                                "The server could not apply this action")
            records = feed.pending(session)[mark:]  # their change seqs come at the flush
            client.last_seq = env.seq
            reply.results.append(result)
            row = SyncMutation(
                mutation_id=env.mutation_id,
                client_id=client.client_id,
                seq=env.seq,
                user_id=user_id,
                action=env.action,
                args_version=env.args_version,
                args_hash=digest,
                args=plain,
                client_time=ctx.client_time,
                corrected_time=ctx.corrected_time,
                clock_flagged=flagged,
                received_at=received_at,
                status=result.status,
                code=result.code,
                message=(result.message or None) and result.message[:500],
                entity_type=result.entity_type,
                entity_id=result.entity_id,
                version=result.version,
            )
            stored[env.mutation_id] = row  # the same id twice in one batch is a replay
            logged.append((result, row, records))
        return logged

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
