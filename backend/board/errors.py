"""Board failures with stable codes (the same in push results and `BoardError` union members).

VALIDATION, FORBIDDEN and NOT_FOUND come from backend.core.errors; these are the board's own.
"""

from __future__ import annotations

from backend.core.errors import DomainError


class EntityDeleted(DomainError):
    """A post or comment was deleted: the delete wins over any later edit (SYNC.md)."""

    code = "ENTITY_DELETED"


class Conflict(DomainError):
    code = "CONFLICT"


class RateLimited(DomainError):
    code = "RATE_LIMITED"


class InviteInvalid(DomainError):
    """An invite code that is unknown, expired or used up."""

    code = "INVITE_INVALID"


class NoHousehold(DomainError):
    """Circulars are read by households: the reader has none in this association."""

    code = "NO_HOUSEHOLD"
