"""Thin GraphQL resolvers for push, pull and the poke subscription."""


from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from backend.core.clock import utcnow
from backend.core.context import Context
from backend.core.db import is_transient
from backend.core.errors import HttpError
from backend.sync.envelopes import Batch, Envelope, PushReply, check_batch_size
from backend.sync.parts import SyncParts
from backend.sync.pull import PullReply
from backend.sync.types import (
    ActionTypes,
    Change,
    ChangeOp,
    MutationResult,
    MutationStatus,
    Poke,
    PullInput,
    PullPayload,
    PushPayload,
    PushState,
)


def _parts(info: Info[Context, None]) -> SyncParts:
    parts: SyncParts = info.context.part("sync")
    return parts


def _overloaded(exc: Exception) -> HttpError:
    return HttpError(
        503, "OVERLOADED", "The server is busy; your actions stay queued",
        headers={"Retry-After": "2"},
    )


def _payload(reply: PushReply) -> PushPayload:
    return PushPayload(
        results=[
            MutationResult(
                mutation_id=strawberry.ID(r.mutation_id),
                seq=r.seq,
                status=MutationStatus(r.status),
                code=r.code,
                message=r.message,
                entity_type=r.entity_type,
                entity_id=strawberry.ID(r.entity_id) if r.entity_id else None,
                version=r.version,
                change_seq=str(r.change_seq) if r.change_seq is not None else None,
            )
            for r in reply.results
        ],
        last_processed_seq=reply.last_processed_seq,
        server_epoch=strawberry.ID(reply.server_epoch),
        server_time=reply.server_time,
        clock_offset_ms=reply.clock_offset_ms,
        retry_after_ms=reply.retry_after_ms,
        state=PushState(reply.state),
    )


def _pull_payload(reply: PullReply) -> PullPayload:
    return PullPayload(
        changes=[
            Change(
                entity_type=c.entity_type,
                entity_id=strawberry.ID(c.entity_id),
                op=ChangeOp(c.op),
                version=c.version,
                change_seq=str(c.change_seq),
                data=c.data,
            )
            for c in reply.changes
        ],
        cursor=reply.cursor,
        has_more=reply.has_more,
        reset_required=reply.reset_required,
        server_epoch=strawberry.ID(reply.server_epoch),
    )


def build_sync_fields(types: ActionTypes) -> tuple[type, type, type]:
    """Query, Mutation and Subscription parts that carry this registry's ActionInput."""
    push_input_type: Any = types.push_input

    @strawberry.type
    class SyncMutation:
        @strawberry.mutation(description="Send a batch of queued offline actions (SYNC.md).")
        async def push(self, info: Info[Context, None], input: push_input_type) -> PushPayload:
            identity = info.context.require_identity()
            parts = _parts(info)
            check_batch_size(len(input.mutations), info.context.body_bytes, info.context.settings.push_batch_max_bytes)
            envelopes = []
            for env in input.mutations:
                action, args = types.chosen(env.args)
                envelopes.append(
                    Envelope(str(env.mutation_id), env.seq, env.client_time, env.args_version, action, args)
                )
            batch = Batch(
                client_id=str(input.client_id),
                server_epoch=str(input.server_epoch) if input.server_epoch else None,
                app_version=input.app_version,
                sent_at=input.sent_at,
                envelopes=envelopes,
            )
            try:
                reply = await parts.pusher.push(user_id=identity.user_id, batch=batch)
            except HttpError:
                raise
            except Exception as exc:
                if is_transient(exc) or _is_integrity(exc):
                    raise _overloaded(exc) from exc
                raise
            await parts.broker.publish(reply.touched)
            return _payload(reply)

    @strawberry.type
    class SyncQuery:
        @strawberry.field(description="Changes visible to you since a cursor (SYNC.md).")
        async def pull(self, info: Info[Context, None], input: PullInput) -> PullPayload:
            identity = info.context.require_identity()
            reply = await _parts(info).puller.pull(
                user_id=identity.user_id, cursor=input.cursor, limit=input.limit
            )
            return _pull_payload(reply)

    @strawberry.type
    class SyncSubscription:
        @strawberry.subscription(description="A poke each time something you can see changed.")
        async def changes(self, info: Info[Context, None]) -> AsyncGenerator[Poke, None]:
            identity = info.context.require_identity()
            parts = _parts(info)
            async with info.context.db.read_session() as session:
                audiences = await info.context.app.registry.audiences_of(session, identity.user_id)
            async with parts.broker.subscribe(audiences) as queue:
                while True:
                    await queue.get()
                    yield Poke(at=utcnow())

    return SyncQuery, SyncMutation, SyncSubscription


def _is_integrity(exc: Exception) -> bool:
    from sqlalchemy.exc import IntegrityError

    return isinstance(exc, IntegrityError)
