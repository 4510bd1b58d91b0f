"""Test-only offline actions, added to the registry the way a plugin is (OTAGAI_PLUGINS).

- `testNote`: create, edit or delete a note every signed-in user can see (argsVersion 2;
  version 1 is upgraded, so SYNC.md case 14 can be exercised).
- `testFlaky`: fails transiently while FLAKY["remaining"] > 0 (in-process tests).
- `testCrash`: the server process dies right after the transaction commits, before the
  reply is sent, once per crash-marker file (SYNC.md case 2).
- `testBoom`: raises an unexpected exception (error masking).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core import audience, feed
from backend.core.actions import ActionContext, ActionOutcome, ActionSpec, Registry
from backend.core.db import after_commit
from backend.core.errors import DomainError, Forbidden, TransientError, ValidationFailed
from tests.support.databases import test_note

FLAKY = {"remaining": 0}


@strawberry.input
class TestNoteInput:
    __test__ = False  # not a pytest test class

    id: strawberry.ID
    text: str | None = None
    tag: str | None = None
    delete: bool = False


@strawberry.input
class TestFlakyInput:
    __test__ = False

    note: str = ""


@strawberry.input
class TestCrashInput:
    __test__ = False

    marker: str


def _upgrade_note(version: int, args: Any) -> Any:
    if version == 1:  # version 1 had no tag: notes from old apps are tagged "v1"
        return TestNoteInput(id=args.id, text=args.text, tag="v1", delete=args.delete)
    raise DomainError("unsupported", code="VERSION_NOT_SUPPORTED")


async def apply_note(session: AsyncSession, ctx: ActionContext, args: TestNoteInput) -> ActionOutcome:
    row = (await session.execute(sa.select(test_note).where(test_note.c.id == str(args.id)))).first()
    if row is not None and row.deleted:
        raise DomainError("This note was deleted", code="ENTITY_DELETED")
    if row is not None and row.owner_id != ctx.user_id:
        raise Forbidden("Only the owner edits a note")
    if args.delete:
        if row is None:
            raise DomainError("No such note", code="NOT_FOUND")
        version = row.version + 1
        await session.execute(
            sa.update(test_note).where(test_note.c.id == str(args.id)).values(deleted=True, version=version)
        )
        feed.record_change(session, entity_type="TestNote", entity_id=str(args.id), version=version,
                           data=None, audiences={audience.WARD}, op="DELETE")
        return ActionOutcome("TestNote", str(args.id), version)
    if args.text is None or not 1 <= len(args.text) <= 500:
        raise ValidationFailed("text must have 1 to 500 characters")
    tag = args.tag or (row.tag if row is not None else "")
    if row is None:
        version = 1
        await session.execute(
            sa.insert(test_note).values(id=str(args.id), owner_id=ctx.user_id, text=args.text, tag=tag,
                                        version=1, deleted=False)
        )
    else:
        version = row.version + 1
        await session.execute(
            sa.update(test_note).where(test_note.c.id == str(args.id)).values(text=args.text, tag=tag, version=version)
        )
    feed.record_change(
        session, entity_type="TestNote", entity_id=str(args.id), version=version,
        data={"id": str(args.id), "text": args.text, "tag": tag, "ownerId": ctx.user_id,
              "clientTime": ctx.corrected_time.isoformat()},
        audiences={audience.WARD},
    )
    return ActionOutcome("TestNote", str(args.id), version)


async def apply_flaky(session: AsyncSession, ctx: ActionContext, args: TestFlakyInput) -> ActionOutcome:
    if FLAKY["remaining"] > 0:
        FLAKY["remaining"] -= 1
        raise TransientError("simulated lock timeout", retry_after_ms=250)
    return ActionOutcome()


async def apply_crash(session: AsyncSession, ctx: ActionContext, args: TestCrashInput) -> ActionOutcome:
    marker = Path(args.marker)
    if marker.exists():
        # The marker goes only with the commit: the push engine may run a handler again after
        # a rolled-back attempt (a later envelope failed), and that run must still crash.
        def crash() -> None:
            marker.unlink(missing_ok=True)
            os._exit(137)

        after_commit(session, crash)
    return ActionOutcome()


async def apply_boom(session: AsyncSession, ctx: ActionContext, args: TestFlakyInput) -> ActionOutcome:
    raise RuntimeError("secret internal detail that must not reach the client")


def register(registry: Registry) -> None:
    registry.add_action(ActionSpec("testNote", TestNoteInput, apply_note, frozenset({2}), _upgrade_note))
    registry.add_action(ActionSpec("testFlaky", TestFlakyInput, apply_flaky))
    registry.add_action(ActionSpec("testCrash", TestCrashInput, apply_crash))
    registry.add_action(ActionSpec("testBoom", TestFlakyInput, apply_boom))
