"""Opaque bearer tokens: the client holds the random token, the database only its hash."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return "otg_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
