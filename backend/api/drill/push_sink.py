"""The drill's push service: a loopback stand-in for FCM or Mozilla's autopush.

The phones of the drill are subscribed to `http://127.0.0.1:<port>/push/<phone>` (the server
accepts loopback endpoints only under OTAGAI_PUSH_ALLOW_LOOPBACK, which the drill sets on the
server it starts). It answers 201 to every well-formed Web Push request — TTL, Urgency and Topic
headers, one aes128gcm record of at most 4,096 bytes, a `vapid` Authorization — and notes which
phone got which Topic when, which is all the drill measures. It never decrypts: a push service
cannot, and the phones' work is not the server's. The cryptographic checks (RFC 8291 bodies,
VAPID signatures) are the test suite's, with tests/support/fake_push.py; the drill is a product
command and ships no test code.

It runs in a thread with its own event loop, so the times it notes are not held up by the
thousands of simulated phones sharing the drill's loop.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.api.drill.processes import free_port
from backend.core.ids import uuid7
from backend.push.fanout import tag_and_url
from backend.push.rules import ALL_CATEGORIES, topic
from backend.push.service import endpoint_hash

KEY_POOL = 8  # phones share a few key pairs: the server encrypts afresh for each message anyway
REQUIRED = ("ttl", "urgency", "topic", "authorization")


def post_topic(post_id: str) -> str:
    """The Topic header the server puts on every push about this post."""
    return topic(tag_and_url("broadcast", post_id, {})[0])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return _b64(key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


@dataclass(frozen=True)
class Received:
    phone: str
    topic: str
    urgency: str
    at: datetime


@dataclass
class PushVerdict:
    """The emergency broadcasts' deliveries: each expected phone once, urgently, and no other."""

    expected: int = 0
    delivered: int = 0
    repeats: int = 0  # the same broadcast to the same phone again (a worker died before recording)
    misdirected: int = 0  # to a phone outside the broadcast's association
    not_urgent: int = 0  # without `Urgency: high`
    other: int = 0  # notifications of the incident, circulars, claims, proxy check-ins
    refused: int = 0  # malformed requests
    latencies: list[float] = field(default_factory=list)  # s from the broadcast to each phone

    @property
    def complete(self) -> bool:
        return self.delivered == self.expected and not (self.misdirected or self.not_urgent or self.refused)


class PushSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.refused: Counter[str] = Counter()
        self._keys = [(_public_key(), _b64(os.urandom(16))) for _ in range(KEY_POOL)]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def endpoint(self, phone: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{phone}"

    def subscription_rows(self, phones: dict[str, str]) -> list[dict[str, Any]]:
        """push_subscription rows for {phone: user id}: every category, every association."""
        now = datetime.now(UTC)
        rows = []
        for n, (phone, user_id) in enumerate(sorted(phones.items())):
            endpoint = self.endpoint(phone)
            p256dh, auth = self._keys[n % KEY_POOL]
            rows.append({
                "id": uuid7(), "user_id": user_id, "endpoint": endpoint, "endpoint_hash": endpoint_hash(endpoint),
                "p256dh": p256dh, "auth": auth, "locale": "ja", "categories": ALL_CATEGORIES,
                "all_associations": True, "quiet_start": None, "quiet_end": None, "time_zone": "Asia/Tokyo",
                "created_at": now, "updated_at": now,
            })
        return rows

    async def _push(self, request: Request) -> Response:
        body = await request.body()
        headers = request.headers
        missing = [h for h in REQUIRED if h not in headers]
        if missing:
            reason = f"missing {', '.join(missing)}"
        elif headers.get("content-encoding") != "aes128gcm" or not 0 < len(body) <= 4096:
            reason = "not one aes128gcm record"
        elif not headers["authorization"].startswith("vapid t="):
            reason = "not a VAPID authorization"
        else:
            self.received.append(Received(request.path_params["phone"], headers["topic"], headers["urgency"],
                                          datetime.now(UTC)))
            return Response(status_code=201)
        self.refused[reason] += 1
        return Response(reason, status_code=400)

    def tally(self, broadcasts: dict[str, tuple[datetime, set[str]]]) -> PushVerdict:
        """Deliveries of {post id: (when the server received it, the phones it must reach)}."""
        by_topic = {post_topic(post): post for post in broadcasts}
        verdict = PushVerdict(expected=sum(len(phones) for _, phones in broadcasts.values()),
                              refused=sum(self.refused.values()))
        first: set[tuple[str, str]] = set()
        for received in list(self.received):  # a copy: the sink's thread keeps appending
            post = by_topic.get(received.topic)
            if post is None:
                verdict.other += 1
                continue
            created, phones = broadcasts[post]
            if received.phone not in phones:
                verdict.misdirected += 1
            elif (received.phone, post) in first:
                verdict.repeats += 1
            else:
                first.add((received.phone, post))
                verdict.latencies.append((received.at - created).total_seconds())
                verdict.not_urgent += received.urgency != "high"
        verdict.delivered = len(first)
        return verdict

    def start(self, timeout: float = 10.0) -> None:
        app = Starlette(routes=[Route("/push/{phone}", self._push, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="off")
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, name="drill-push-sink", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the drill's push service did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
