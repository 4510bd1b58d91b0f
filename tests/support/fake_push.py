"""A local fake push service on 127.0.0.1: what FCM or Mozilla's autopush would do, checked.

Each device gets an endpoint `http://127.0.0.1:<port>/push/<device>` and a key pair; every
POST must carry TTL, Urgency, Topic, `Content-Encoding: aes128gcm` and a valid VAPID
`Authorization` (ES256 JWT whose `aud` is the origin without the port — webpush drops it),
and its body must decrypt with the reference `http_ece` library (RFC 8291). A device can be
told to answer with other statuses first (`plan`), to test retries and pruning.

`decrypt_later=True` keeps the raw bodies and decrypts them in `verify()`: the push service
never decrypts (phones do), so a benchmark does not charge the phones' work to the server.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.server import free_port


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class DeviceKeys:
    private: ec.EllipticCurvePrivateKey
    p256dh: str
    auth: str


def new_keys() -> DeviceKeys:
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return DeviceKeys(private, b64(point), b64(os.urandom(16)))


@dataclass
class Delivery:
    device: str
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any] | None = None


@dataclass
class FakePushService:
    expected_vapid_key: str | None = None
    decrypt_later: bool = False
    key_pool: int = 0  # > 0: devices share this many key pairs (100,000 phones, quickly)
    delay_s: float = 0.0  # how long each answer takes (a slow push service)
    port: int = field(default_factory=free_port)
    plans: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    devices: dict[str, DeviceKeys] = field(default_factory=dict)
    delivered: list[Delivery] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # device, status, reason
    answered: Counter[int] = field(default_factory=Counter)
    last_delivery_at: float = 0.0
    _pool: list[DeviceKeys] = field(default_factory=list)
    _vapid_ok: dict[str, float] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def new_device(self, name: str) -> tuple[str, DeviceKeys]:
        if self.key_pool:
            while len(self._pool) < self.key_pool:
                self._pool.append(new_keys())
            keys = self._pool[len(self.devices) % self.key_pool]
        else:
            keys = new_keys()
        self.devices[name] = keys
        return f"{self.base}/push/{name}", keys

    def plan(self, device: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        """The next answers of this device (then 201)."""
        self.plans[device] = [a if isinstance(a, tuple) else (a, {}) for a in answers]

    def _check_vapid(self, authorization: str) -> str | None:
        # The sender reuses a signed header per origin: verify each distinct header once.
        cached = self._vapid_ok.get(authorization)
        if cached is not None and cached > time.time():
            return None
        problem = self._verify_vapid(authorization)
        if problem is None:
            self._vapid_ok[authorization] = time.time() + 60
        return problem

    def _verify_vapid(self, authorization: str) -> str | None:
        try:
            scheme, _, params = authorization.partition(" ")
            fields = dict(p.strip().split("=", 1) for p in params.split(","))
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
            claims = jwt.decode(fields["t"], key, algorithms=["ES256"], audience="http://127.0.0.1")
        except (ValueError, KeyError, jwt.PyJWTError) as exc:
            return f"bad VAPID authorization: {exc}"
        if scheme != "vapid":
            return "not a vapid authorization"
        if self.expected_vapid_key and fields["k"] != self.expected_vapid_key:
            return "signed by another application server key"
        if not 0 < claims["exp"] - time.time() <= 24 * 3600:
            return "exp more than 24 hours ahead"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "sub is not a mailto: or https: URL"
        return None

    def decrypt(self, delivery: Delivery) -> dict[str, Any]:
        keys = self.devices[delivery.device]
        plaintext = http_ece.decrypt(delivery.body, private_key=keys.private, auth_secret=unb64(keys.auth),
                                     version="aes128gcm")
        return dict(json.loads(plaintext))

    async def _push(self, request: Request) -> Response:
        device = request.path_params["device"]
        body = await request.body()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        headers = {k.lower(): v for k, v in request.headers.items()}
        plan = self.plans.get(device)
        if plan:
            status, extra = plan.pop(0)
            self.answered[status] += 1
            return Response(status_code=status, headers=extra)
        reason = None
        if device not in self.devices:
            reason, status = "no such subscription", 404
        elif missing := [h for h in ("ttl", "urgency", "topic", "authorization") if h not in headers]:
            reason, status = f"missing {missing}", 400
        elif headers.get("content-encoding") != "aes128gcm" or len(body) > 4096:
            reason, status = "not one aes128gcm record", 400
        elif (problem := self._check_vapid(headers["authorization"])) is not None:
            reason, status = problem, 403
        if reason is not None:
            self.refused.append((device, status, reason))
            self.answered[status] += 1
            return Response(reason, status_code=status)
        delivery = Delivery(device, headers, body)
        if not self.decrypt_later:
            delivery.payload = self.decrypt(delivery)
        self.delivered.append(delivery)
        self.last_delivery_at = time.monotonic()
        self.answered[201] += 1
        return Response(status_code=201, headers={"location": f"{self.base}/m/{len(self.delivered)}"})

    def verify(self) -> None:
        for delivery in self.delivered:
            if delivery.payload is None:
                delivery.payload = self.decrypt(delivery)

    def received(self) -> Counter[tuple[str, str]]:
        """Deliveries per (device, notification tag)."""
        self.verify()
        return Counter((d.device, str(d.payload["tag"])) for d in self.delivered if d.payload)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/push/{device}", self._push, methods=["POST"])])


@asynccontextmanager
async def running(service: FakePushService) -> AsyncIterator[FakePushService]:
    """Serve it on its loopback port from this event loop."""
    config = uvicorn.Config(service.app(), host="127.0.0.1", port=service.port, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield service
    finally:
        server.should_exit = True
        await task
