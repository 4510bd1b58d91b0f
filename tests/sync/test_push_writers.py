"""A surge of pushes applies a few at a time (backend/sync/push.py WRITERS); the others wait
in the server, and every one of them is still applied exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from backend.sync import push
from tests.conftest import Api


async def test_no_more_pushes_apply_at_once_than_the_engine_allows(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    devices = [await api.device(f"p{i}@example.jp", f"住民{i}") for i in range(6)]
    engine = api.parts.domains["sync"].pusher
    monkeypatch.setattr(engine, "_writers", asyncio.Semaphore(2))
    attempt = push.PushEngine._attempt
    inside: list[int] = [0]
    most: list[int] = [0]

    async def counted(self: push.PushEngine, *args: Any) -> Any:
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        try:
            await asyncio.sleep(0.05)  # long enough for every device's push to have arrived
            return await attempt(self, *args)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(push.PushEngine, "_attempt", counted)
    for i, device in enumerate(devices):
        device.enqueue("updateProfile", {"displayName": f"住民 {i}"})
    reports = await asyncio.gather(*(device.drain() for device in devices))

    assert most[0] == 2
    assert all(report.stopped_because == "empty" for report in reports)
    assert all([r["status"] for r in d.results.values()] == ["APPLIED"] for d in devices)
