"""GraphQL types of the sync protocol (API.md "Sync").

`ActionInput` is assembled from the registry: each domain's offline action is one member
of the `@oneOf` input, so adding an action never touches the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Optional

import strawberry
from strawberry.scalars import JSON

from backend.core.actions import Registry
from backend.sync.input_plans import plan_inputs


@strawberry.enum
class MutationStatus(Enum):
    APPLIED = "APPLIED"
    DUPLICATE = "DUPLICATE"
    REJECTED = "REJECTED"
    CONFLICT_RESOLVED = "CONFLICT_RESOLVED"
    NOT_PROCESSED = "NOT_PROCESSED"


@strawberry.enum
class PushState(Enum):
    OK = "OK"
    CLIENT_STATE_RESET = "CLIENT_STATE_RESET"
    VERSION_NOT_SUPPORTED = "VERSION_NOT_SUPPORTED"


@strawberry.enum
class ChangeOp(Enum):
    UPSERT = "UPSERT"
    DELETE = "DELETE"


@strawberry.type
class MutationResult:
    mutation_id: strawberry.ID
    seq: int
    status: MutationStatus
    code: str | None
    message: str | None
    entity_type: str | None
    entity_id: strawberry.ID | None
    version: int | None
    change_seq: str | None


@strawberry.type
class PushPayload:
    results: list[MutationResult]
    last_processed_seq: int
    server_epoch: strawberry.ID
    server_time: datetime
    clock_offset_ms: float
    retry_after_ms: int | None
    state: PushState


@strawberry.input
class PullInput:
    cursor: str | None = None
    limit: int | None = None


@strawberry.type
class Change:
    entity_type: str
    entity_id: strawberry.ID
    op: ChangeOp
    version: int
    change_seq: str
    data: JSON | None


@strawberry.type
class PullPayload:
    changes: list[Change]
    cursor: str
    has_more: bool
    reset_required: bool
    server_epoch: strawberry.ID


@strawberry.type(description="Pull now: something you can see has changed.")
class Poke:
    at: datetime


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class ActionTypes:
    action_input: type
    envelope: type
    push_input: type
    members: dict[str, str]  # python attribute → action name

    def chosen(self, args: Any) -> tuple[str, Any]:
        """The one action a `@oneOf` ActionInput names."""
        for attr, name in self.members.items():
            value = getattr(args, attr, None)
            if value is not None and value is not strawberry.UNSET:
                return name, value
        raise ValueError("ActionInput names no action")


def build_action_types(registry: Registry) -> ActionTypes:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    members: dict[str, str] = {}
    for name in sorted(registry.actions):
        spec = registry.actions[name]
        attr = _snake(name)
        members[attr] = name
        annotations[attr] = Optional[spec.input_type]  # noqa: UP045 (runtime annotation)
        namespace[attr] = strawberry.field(description=spec.description or None)
    namespace["__annotations__"] = annotations
    action_input = strawberry.input(
        one_of=True, description="Exactly one offline action."
    )(type("ActionInput", (), namespace))

    envelope = strawberry.input(description="One queued action of a device.")(
        type(
            "MutationEnvelope",
            (),
            {
                "__annotations__": {
                    "mutation_id": strawberry.ID,
                    "seq": int,
                    "client_time": datetime,
                    "args_version": int,
                    "args": action_input,
                }
            },
        )
    )
    push_input = strawberry.input(description="An ordered batch of one device's queued actions.")(
        type(
            "PushInput",
            (),
            {
                "__annotations__": {
                    "client_id": strawberry.ID,
                    "server_epoch": Optional[strawberry.ID],  # noqa: UP045
                    "app_version": str,
                    "sent_at": datetime,
                    "mutations": list[envelope],  # type: ignore[valid-type]
                },
                "server_epoch": None,
            },
        )
    )
    plan_inputs(push_input)
    return ActionTypes(action_input, envelope, push_input, members)
