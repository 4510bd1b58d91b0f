"""Batch-aware actions: read once for a whole push, write once at its end.

A push carries up to 100 actions, and a leader knocking on doors or a shelter's reception
desk sends 100 check-ins about 100 different people in one. Run one at a time, each check-in
costs its own reads and writes — database round trips, which are most of the server's CPU
(bench/checkin_surge.py). So while the push engine runs a batch *optimistically* (SYNC.md;
backend/sync/push.py), it opens a `Scope` on the session:

- an action may declare a `prepare` hook (core/actions.ActionSpec) that reads what all the
  batch's envelopes of that action will need, in a few queries, into `scope.cache`;
- its handler may then `defer` its writes: they are kept in the scope and written together by
  `settle()`, which the engine calls before an envelope of another action runs (so that no
  other handler reads around pending writes) and before the change feed is flushed.

Settling drops the cache. If settling fails for any reason — another push changed a row the
batch read, say — it raises `Fallback`, the transaction is rolled back and the engine runs the
batch again without a scope: every handler reads and writes for itself, exactly as before. A
batch therefore commits the same rows with or without a scope; the scope only saves round trips.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "otagai.batch_scope"
Flusher = Callable[[AsyncSession, list[Any]], Awaitable[None]]


class Fallback(Exception):
    """Settling the deferred writes failed: run the batch again without a scope."""


@dataclass
class Scope:
    cache: dict[Any, Any] = field(default_factory=dict)
    # name → (flusher, the items it will write), in the order they were first deferred
    deferred: dict[str, tuple[Flusher, list[Any]]] = field(default_factory=dict)

    def defer(self, name: str, flusher: Flusher, item: Any) -> None:
        self.deferred.setdefault(name, (flusher, []))[1].append(item)


def open_scope(session: AsyncSession) -> Scope:
    scope = Scope()
    session.info[_KEY] = scope
    return scope


def scope_of(session: AsyncSession) -> Scope | None:
    scope: Scope | None = session.info.get(_KEY)
    return scope


def close_scope(session: AsyncSession) -> None:
    session.info.pop(_KEY, None)


async def settle(session: AsyncSession) -> None:
    """Write everything deferred and forget the cache; `Fallback` if anything went wrong."""
    scope = scope_of(session)
    if scope is None:
        return
    scope.cache.clear()
    deferred, scope.deferred = scope.deferred, {}
    for flusher, items in deferred.values():
        try:
            await flusher(session, items)
        except Exception as exc:  # any failure: the batch runs again without a scope
            raise Fallback(str(exc)) from exc
