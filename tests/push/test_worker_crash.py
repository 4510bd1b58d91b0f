"""A worker killed (-9) in the middle of a fan-out: the next worker finishes it, nobody is lost
and nobody is shown the notification twice.

A real `otagai serve` process runs the worker in-process and POSTs to the fake push service
served from this test; it is killed with SIGKILL when part of the phones have their message,
then `otagai worker` alone finishes. The database must hold exactly one delivery per phone,
all sent, and every phone must have received the notification's tag at least once. A phone may
receive a message a second time when the worker died after the POST and before recording it
(no sender can avoid that over HTTP); the repeat has the same tag and Topic, so it replaces the
first notification instead of showing twice — and there can be at most a claim's worth of them.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from backend.api.wiring import wire
from backend.board import associations, households
from backend.board.models import Household, HouseholdMember
from backend.core import events
from backend.core.clock import utcnow
from backend.core.db import Database
from backend.core.ids import uuid7
from backend.push import queue
from backend.push.models import PushSubscription
from backend.push.service import endpoint_hash
from tests.support.fake_push import FakePushService, running
from tests.support.server import ROOT, ServerProcess

PHONES = 1200
ENV = {"OTAGAI_PUSH_ALLOW_LOOPBACK": "1", "OTAGAI_PUSH_LEASE_SECONDS": "5"}


async def subscribe_phones(db: Database, fake: FakePushService) -> None:
    """An association whose members each have a one-person household and a phone; then its
    leader's emergency broadcast (the board's event)."""
    now = utcnow()
    rows, homes, members = [], [], []
    for i in range(PHONES):
        endpoint, keys = fake.new_device(f"phone{i:05d}")
        user_id, home_id = uuid7(), uuid7()
        rows.append({"id": uuid7(), "user_id": user_id, "endpoint": endpoint, "endpoint_hash": endpoint_hash(endpoint),
                     "p256dh": keys.p256dh, "auth": keys.auth, "locale": "ja", "categories": 63,
                     "all_associations": True, "time_zone": "Asia/Tokyo", "created_at": now, "updated_at": now})
        homes.append({"id": home_id, "label": f"世帯{i}", "address": "", "group_name": "", "version": 1, "created_at": now})
        members.append({"household_id": home_id, "person_id": user_id})
    async with db.unit_of_work() as uow:
        association = await associations.create_association(uow.session, name="本町一丁目町会")
        await households.create_household(uow.session, association_id=association.id, label="空き家", created_by=None)
        await uow.session.execute(sa.insert(Household), [{**h, "association_id": association.id} for h in homes])
        await uow.session.execute(sa.insert(HouseholdMember), members)
        await uow.session.execute(sa.insert(PushSubscription), rows)
        await events.emit(uow.session, events.BROADCAST_PUBLISHED, post_id=uuid7(), association_id=association.id,
                          urgency="EMERGENCY", title="避難指示")
        await uow.commit()


async def wait_for(condition: object, timeout: float) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_worker_killed_mid_fan_out_loses_nobody_and_shows_nobody_a_message_twice(
    db_url: str, tmp_path: Path
) -> None:
    wire()
    server = ServerProcess(db_url, workdir=tmp_path, extra_env=ENV)
    server.start()  # migrates the database, starts the in-process worker
    db = Database(db_url)
    fake = FakePushService(key_pool=16, delay_s=0.05, decrypt_later=True)
    worker: asyncio.subprocess.Process | None = None
    try:
        async with running(fake):
            await subscribe_phones(db, fake)
            await wait_for(lambda: len(fake.delivered) >= PHONES // 3, 60)
            server.kill()
            killed_at = -1
            while killed_at != len(fake.delivered):  # requests the dead worker had sent are answered
                killed_at = len(fake.delivered)
                await asyncio.sleep(0.5)
            async with db.read_session() as session:
                recorded_at_kill = (await queue.counts(session)).get("sent", 0)
            worker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "backend.api.cli", "worker", cwd=ROOT, env=server.env,
                stdout=(tmp_path / "worker.log").open("ab"), stderr=subprocess.STDOUT,
            )
            await wait_for(lambda: len({d.device for d in fake.delivered}) >= PHONES, 120)
            await asyncio.sleep(3)  # a late duplicate would show up here
            async with db.read_session() as session:
                counts = await queue.counts(session)
    finally:
        if worker is not None and worker.returncode is None:
            worker.terminate()
            await asyncio.wait_for(worker.wait(), 15)
        server.kill()
        await db.dispose()

    received = fake.received()  # decrypts every body
    repeats = len(fake.delivered) - PHONES
    assert PHONES // 3 <= killed_at < PHONES, "the kill did not land mid fan-out"
    assert counts == {"sent": PHONES}
    assert {device for device, _ in received} == set(fake.devices)  # lost: nobody
    assert all(len([t for d, t in received if d == device]) == 1 for device in fake.devices)  # one tag each
    # Sent again: only what the push service had answered and the worker not yet recorded.
    assert 0 <= repeats <= killed_at - recorded_at_kill
    assert not fake.refused
    print(f"killed after {killed_at} deliveries, {recorded_at_kill} recorded; "
          f"repeated POSTs (same tag, shown once): {repeats}")
