"""The plug-in point between the domains and the sync engine.

Each domain adds its offline actions (one `ActionInput` member each) and the audiences a
user belongs to; the sync engine and the GraphQL schema are assembled from a `Registry`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ActionContext:
    """Who sends an action and when: client time is data, never concurrency control."""

    user_id: str
    client_id: str
    mutation_id: str
    client_time: datetime
    corrected_time: datetime
    clock_flagged: bool
    received_at: datetime


@dataclass(frozen=True)
class ActionOutcome:
    entity_type: str | None = None
    entity_id: str | None = None
    version: int | None = None
    status: Literal["APPLIED", "CONFLICT_RESOLVED"] = "APPLIED"
    message: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit log, for a read of other people's personal data."""

    action: str
    subject_type: str | None = None
    subject_id: str | None = None
    detail: dict[str, Any] | None = None


ActionHandler = Callable[[AsyncSession, ActionContext, Any], Awaitable[ActionOutcome]]
# Reads, for a whole push, what its envelopes of one action will need (core/batching.py):
# (session, the pushing user's id, the envelopes' arguments). Never raises for bad input.
PrepareHook = Callable[[AsyncSession, str, list[Any]], Awaitable[None]]
AudienceProvider = Callable[[AsyncSession, str], Awaitable[set[str]]]
# What a reader pulled (entity type, data) -> what must be audited about it.
ReadAuditor = Callable[[str, list[tuple[str, dict[str, Any] | None]]], list[AuditRecord]]
AuditWriter = Callable[[AsyncSession, str, list[AuditRecord]], Awaitable[None]]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    input_type: type
    handler: ActionHandler
    args_versions: frozenset[int] = frozenset({1})
    # Turns the arguments of an older argsVersion into the current ones (SYNC.md case 14).
    upgrade: Callable[[int, Any], Any] | None = None
    description: str = ""
    prepare: PrepareHook | None = None  # batch-aware actions only (core/batching.py)


@dataclass
class Registry:
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    audience_providers: list[AudienceProvider] = field(default_factory=list)
    read_auditors: list[ReadAuditor] = field(default_factory=list)
    audit_writer: AuditWriter | None = None

    def add_action(self, spec: ActionSpec) -> None:
        if spec.name in self.actions:
            raise ValueError(f"action {spec.name} registered twice")
        self.actions[spec.name] = spec

    def add_audiences(self, provider: AudienceProvider) -> None:
        self.audience_providers.append(provider)

    def add_read_auditor(self, auditor: ReadAuditor) -> None:
        self.read_auditors.append(auditor)

    def audit_reads(self, user_id: str, pulled: list[tuple[str, dict[str, Any] | None]]) -> list[AuditRecord]:
        records: list[AuditRecord] = []
        for auditor in self.read_auditors:
            records.extend(auditor(user_id, pulled))
        return records

    def extended(self, *specs: ActionSpec) -> Registry:
        """A copy with more actions (tests register test-only actions this way)."""
        copy = Registry(
            dict(self.actions), list(self.audience_providers), list(self.read_auditors), self.audit_writer
        )
        for spec in specs:
            copy.add_action(spec)
        return copy

    async def audiences_of(self, session: AsyncSession, user_id: str) -> set[str]:
        result: set[str] = set()
        for provider in self.audience_providers:
            result |= await provider(session, user_id)
        return result
