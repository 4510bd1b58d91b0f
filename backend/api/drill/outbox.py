"""The reference sync client: a device's outbox as the PWA keeps it (SYNC.md "The PWA outbox").

The drill runs thousands of these against a real server, and the test suite runs them for
its multi-device scenarios. It allocates seq per clientId, sends batches of at most 100 in seq order, keeps every action
until the server has answered it with a final status, pauses on 401 without dropping
anything, re-registers and re-sends after an epoch change, and keeps a replica of the
server's state through `pull`. Multi-device scenarios run with several of these.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from backend.core.ids import uuid7

FINAL = {"APPLIED", "DUPLICATE", "REJECTED", "CONFLICT_RESOLVED"}


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    body: Any  # parsed JSON, or None when the body was not JSON


class Transport(Protocol):
    """Runs a shared operation of graphql/operations/ by name."""

    async def execute(self, name: str, variables: dict[str, Any] | None = None,
                      token: str | None = None) -> Reply: ...


class PullFailed(Exception):
    """A pull answered with something other than a pull payload (the device tries later)."""


@dataclass
class Queued:
    mutation_id: str
    seq: int
    client_time: datetime
    args_version: int
    action: str
    args: dict[str, Any]

    def envelope(self) -> dict[str, Any]:
        return {
            "mutationId": self.mutation_id,
            "seq": self.seq,
            "clientTime": self.client_time.isoformat(),
            "argsVersion": self.args_version,
            "args": {self.action: self.args},
        }


@dataclass
class DrainReport:
    sent_batches: int = 0
    stopped_because: str = "empty"
    retry_after_ms: int | None = None


@dataclass
class OutboxClient:
    transport: Transport
    token: str | None
    user_id: str
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    app_version: str = "test-1"
    batch_size: int = 100
    next_seq: int = 1
    server_epoch: str | None = None
    queue: list[Queued] = field(default_factory=list)
    sent: list[Queued] = field(default_factory=list)  # answered, kept for re-sending after a restore
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # first final result per mutationId
    needs_attention: list[dict[str, Any]] = field(default_factory=list)
    paused: bool = False
    cursor: str | None = None
    replica: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    resets: int = 0

    # -- queueing -------------------------------------------------------------------------
    def enqueue(self, action: str, args: dict[str, Any], *, args_version: int = 1,
                mutation_id: str | None = None) -> str:
        item = Queued(mutation_id or uuid7(), self.next_seq, self.clock(), args_version, action, args)
        self.next_seq += 1
        self.queue.append(item)
        return item.mutation_id

    def sign_in(self, token: str, user_id: str) -> bool:
        """The same user signing in again resumes the queue; another user never sends it."""
        if user_id != self.user_id:
            return False
        self.token = token
        self.paused = False
        return True

    # -- push -----------------------------------------------------------------------------
    def batch_body(self, items: list[Queued]) -> dict[str, Any]:
        return {
            "clientId": self.client_id,
            "serverEpoch": self.server_epoch,
            "appVersion": self.app_version,
            "sentAt": self.clock().isoformat(),
            "mutations": [i.envelope() for i in items],
        }

    async def send(self, items: list[Queued]) -> Reply:
        return await self.transport.execute("Push", {"input": self.batch_body(items)}, self.token)

    async def drain(self, *, max_batches: int = 10_000) -> DrainReport:
        report = DrainReport()
        while self.queue and report.sent_batches < max_batches:
            if self.paused or not self.token:
                report.stopped_because = "paused"
                return report
            reply = await self.send(self.queue[: self.batch_size])
            report.sent_batches += 1
            outcome = self.absorb(reply)
            if outcome != "progress":
                report.stopped_because = outcome
                report.retry_after_ms = self._retry_after(reply)
                return report
        report.stopped_because = "empty" if not self.queue else "max_batches"
        return report

    def absorb(self, reply: Reply) -> str:
        """Take a push reply; anything but a well-formed payload leaves the queue as it was."""
        if reply.status == 401:
            self.paused = True
            return "unauthenticated"
        if reply.status == 413:
            self.batch_size = max(1, self.batch_size // 2)
            return "progress"
        if reply.status != 200:
            return f"http-{reply.status}"
        body = reply.body
        payload = (body or {}).get("data", {}) if isinstance(body, dict) else None
        payload = payload.get("push") if isinstance(payload, dict) else None
        if body.get("errors") if isinstance(body, dict) else True:
            return "malformed"
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            return "malformed"
        if payload["state"] == "CLIENT_STATE_RESET":
            self.reregister(payload["serverEpoch"])
            return "progress"
        self.server_epoch = payload["serverEpoch"]
        answered = {r["mutationId"]: r for r in payload["results"] if r["status"] in FINAL}
        for item in [q for q in self.queue if q.mutation_id in answered]:
            result = answered[item.mutation_id]
            self.results.setdefault(item.mutation_id, result)
            # A replay of a rejection whose first reply was lost is a DUPLICATE carrying the
            # stored code: still a rejection the resident must see, never silently dropped.
            if result["status"] == "REJECTED" or (result["status"] == "DUPLICATE" and result.get("code")):
                self.needs_attention.append({"action": item.action, "args": item.args, **result})
            self.queue.remove(item)
            self.sent.append(item)
        gap = any(r["status"] == "NOT_PROCESSED" and r.get("code") == "SEQ_GAP" for r in payload["results"])
        if gap and self.queue and payload["lastProcessedSeq"] < self.queue[0].seq - 1:
            # The server lacks actions this device no longer holds in order: start afresh
            # under a new clientId; mutationIds keep every action exactly once.
            self.reregister(payload["serverEpoch"])
            return "progress"
        if any(r["status"] == "NOT_PROCESSED" for r in payload["results"]):
            return "not-processed"
        return "progress" if answered else "stuck"

    def reregister(self, epoch: str) -> None:
        """After a restore: a new clientId, everything still held re-sent in its first order."""
        everything = sorted(self.sent + self.queue, key=lambda q: (q.seq, q.mutation_id))
        self.client_id = str(uuid.uuid4())
        self.server_epoch = epoch
        for number, item in enumerate(everything, start=1):
            item.seq = number
        self.next_seq = len(everything) + 1
        self.queue, self.sent = everything, []
        self.cursor = None
        self.replica.clear()
        self.resets += 1

    @staticmethod
    def _retry_after(reply: Reply) -> int | None:
        try:
            return int(reply.body["data"]["push"]["retryAfterMs"])
        except (TypeError, KeyError, ValueError):
            return None

    # -- pull -----------------------------------------------------------------------------
    async def pull_all(self, *, limit: int = 100, max_pages: int = 100_000) -> int:
        pages = 0
        while pages < max_pages:
            reply = await self.transport.execute(
                "Pull", {"input": {"cursor": self.cursor, "limit": limit}}, self.token
            )
            if reply.status == 401:
                self.paused = True
                return pages
            if reply.status != 200 or not isinstance(reply.body, dict) or reply.body.get("errors"):
                raise PullFailed(f"HTTP {reply.status}: {str(reply.body)[:300]}")
            payload = reply.body["data"]["pull"]
            pages += 1
            if self.server_epoch is not None and payload["serverEpoch"] != self.server_epoch:
                # The server was restored: what it lost of ours must be sent again.
                self.reregister(payload["serverEpoch"])
                continue
            if payload["resetRequired"]:
                self.replica.clear()
                self.cursor = None
                continue
            for change in payload["changes"]:
                key = (change["entityType"], change["entityId"])
                if change["op"] == "DELETE":
                    self.replica.pop(key, None)
                else:
                    self.replica[key] = {"version": change["version"], "data": change["data"]}
            self.cursor = payload["cursor"]
            if not payload["hasMore"]:
                break
        return pages
