"""Who is asking: the signed-in user of a request and their roles."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    user_id: str
    token_hash: str
    # (role, scope id) pairs; ward-wide roles have the empty scope "".
    roles: frozenset[tuple[str, str]]
    # The sliding expiry is due for extension (found in a read-only transaction).
    needs_touch: bool = False

    def has_role(self, role: str, scope_id: str = "") -> bool:
        return (role, scope_id) in self.roles

    @property
    def is_ward_admin(self) -> bool:
        return self.has_role("WARD_ADMIN")
