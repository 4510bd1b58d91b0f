"""The three roles and which of them need a scope (an association or a shelter)."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    LEADER = "LEADER"  # of one association (会長・班長)
    SHELTER_STAFF = "SHELTER_STAFF"  # of one shelter (避難所運営)
    WARD_ADMIN = "WARD_ADMIN"  # ward staff (防災課), ward-wide


SCOPED_ROLES = frozenset({Role.LEADER, Role.SHELTER_STAFF})
