"""Encrypting a push message and signing its VAPID header — the only module importing `webpush`.

`webpush` does RFC 8291 (aes128gcm) and VAPID but sends nothing: we build the request here
and the worker POSTs it. Its quirks (TOOLING.md): `get()` re-signs the JWT on every call
(about 40% of the cost) and writes per-call overrides into the instance, and it sets neither
`Urgency` nor `Topic`. So one `WebPush` is fixed configuration, the body comes from its
encryption step alone, and the Authorization header is signed once per push-service origin
and reused for a fraction of its lifetime.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl
from webpush import WebPush  # type: ignore[import-untyped]
from webpush.types import WebPushKeys, WebPushSubscription  # type: ignore[import-untyped]

from backend.push.keys import VapidKeys

JWT_LIFETIME_S = 12 * 3600
JWT_REUSE_S = 3600  # far below the lifetime, so a cached header is never near expiry


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


class Sender:
    def __init__(self, keys: VapidKeys, subject: str) -> None:
        # webpush writes `sub` as "mailto:" + subscriber.
        self._subscriber = subject.removeprefix("mailto:")
        self._webpush = WebPush(private_key=keys.private_pem, public_key=keys.public_pem,
                                subscriber=self._subscriber, expiration=JWT_LIFETIME_S)
        self._auth: dict[str, tuple[float, str]] = {}

    def authorization(self, endpoint: str) -> str:
        """`vapid t=<JWT>, k=<public key>` for the endpoint's origin (its `aud` has no port)."""
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.hostname}"
        now = time.monotonic()
        cached = self._auth.get(origin)
        if cached is None or now - cached[0] > JWT_REUSE_S:
            header = self._webpush.vapid.get_authorization_header(
                endpoint=AnyHttpUrl(endpoint), subscriber=self._subscriber, expiration=JWT_LIFETIME_S,
            )
            cached = (now, header)
            self._auth[origin] = cached
        return cached[1]

    def encrypt(self, plaintext: bytes, *, endpoint: str, p256dh: str, auth: str) -> bytes:
        """The aes128gcm body (RFC 8291: one record of up to 4,096 bytes)."""
        subscription = WebPushSubscription.model_construct(
            endpoint=endpoint, keys=WebPushKeys.model_construct(p256dh=p256dh, auth=auth),
        )
        body: bytes = self._webpush._encrypt(plaintext, subscription)
        return body

    def build(self, plaintext: bytes, *, endpoint: str, p256dh: str, auth: str, ttl: int, urgency: str,
              topic: str) -> Request:
        body = self.encrypt(plaintext, endpoint=endpoint, p256dh=p256dh, auth=auth)
        headers = {
            "TTL": str(ttl),
            "Urgency": urgency,
            "Topic": topic,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Authorization": self.authorization(endpoint),
        }
        return Request(url=endpoint, body=body, headers=headers)
