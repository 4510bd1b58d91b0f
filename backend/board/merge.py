"""The conflict rules for a post edit (SYNC.md "posts, listings"), kept pure.

Optimistic concurrency on `baseVersion`: an edit made on the version that is current applies
as is. An edit made on an older version merges field by field with what happened since:
fields nobody else changed apply; a field changed meanwhile goes to the later of the two
edits by skew-corrected client time (the loser is kept as a revision by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from backend.core.errors import ValidationFailed


@dataclass(frozen=True)
class EditPlan:
    apply: dict[str, str] = field(default_factory=dict)
    lost: dict[str, str] = field(default_factory=dict)
    conflicted: bool = False

    @property
    def message(self) -> str | None:
        if not self.conflicted:
            return None
        if self.lost:
            return "A later edit of " + ", ".join(sorted(self.lost)) + " was kept; yours is saved as a revision"
        return "Merged with an edit made meanwhile"


def plan_edit(
    changes: dict[str, str],
    *,
    base_version: int | None,
    current_version: int,
    changed_since: dict[str, datetime],
    edited_at: datetime,
) -> EditPlan:
    """`changed_since`: per field, when it was last edited after `base_version`."""
    if not changes:
        raise ValidationFailed("The edit changes nothing")
    if base_version is not None and not 1 <= base_version <= current_version:
        raise ValidationFailed(f"baseVersion must be between 1 and {current_version}")
    if base_version is None or base_version == current_version:
        return EditPlan(apply=dict(changes))
    apply: dict[str, str] = {}
    lost: dict[str, str] = {}
    for name, value in changes.items():
        other = changed_since.get(name)
        if other is None or edited_at >= other:
            apply[name] = value
        else:
            lost[name] = value
    return EditPlan(apply=apply, lost=lost, conflicted=True)
