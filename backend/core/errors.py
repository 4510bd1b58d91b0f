"""The base of every expected failure: a stable code and a human message.

Domain errors become `REJECTED` push results or `… Error { code message }` union members
with the same code; transient errors leave an action queued for a retry.
"""

from __future__ import annotations


class DomainError(Exception):
    """A permanent, expected failure of an action (validation, forbidden, conflict…)."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationFailed(DomainError):
    code = "VALIDATION"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class TransientError(Exception):
    """A failure that may pass if the same action is tried again later (lock, overload)."""

    def __init__(self, message: str = "Try again later", *, retry_after_ms: int = 1000) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms


class HttpError(Exception):
    """Fails the whole HTTP request with a status code (401, 403, 413, 503…)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}


class Unauthenticated(HttpError):
    def __init__(self, message: str = "Sign-in required or token expired") -> None:
        super().__init__(401, "UNAUTHENTICATED", message, headers={"WWW-Authenticate": "Bearer"})


class Unavailable(HttpError):
    """The database cannot be reached right now: 503, try again (the outbox keeps its queue)."""

    def __init__(self, retry_after_s: int = 2) -> None:
        super().__init__(503, "UNAVAILABLE", "The service is temporarily unavailable; try again shortly",
                         headers={"Retry-After": str(retry_after_s)})
