"""SYNC.md case 7: device clocks +3 h, −1 day and 2099.

Client time is data: the server measures offset = serverTime − sentAt on every push, stores
clientTime + offset as the corrected time, and clamps (and flags) anything still in the future.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api
from tests.support import db_state
from tests.support.client import OutboxClient
from tests.support.clocks import DeviceClock, ServerClock

MS = timedelta(milliseconds=1)


def _push(reply: Any) -> dict[str, Any]:
    assert reply.status == 200 and not reply.body.get("errors"), (reply.status, reply.body)
    payload: dict[str, Any] = reply.body["data"]["push"]
    return payload


async def _act_then_send(
    api: Api, email: str, *, skew: timedelta, acted_ago: timedelta, now: datetime
) -> tuple[OutboxClient, dict[str, Any], str]:
    """A device whose clock is `skew` off acts `acted_ago` before sending (at server time `now`)."""
    device = await api.device(email, "時計")
    device.clock = clock = DeviceClock(now - acted_ago + skew)
    note_id = str(uuid.uuid4())
    device.enqueue("updateProfile", {"displayName": "時計のずれた端末"})
    device.enqueue("testNote", {"id": note_id, "text": "水 2 箱"})
    clock.shows = now + skew
    return device, _push(await device.send(device.queue)), note_id


async def test_a_device_clock_three_hours_ahead_is_corrected_to_server_time(
    api: Api, server_clock: ServerClock
) -> None:
    now = server_clock.freeze()
    device, payload, note_id = await _act_then_send(
        api, "ahead@example.jp", skew=timedelta(hours=3), acted_ago=timedelta(minutes=30), now=now
    )

    assert payload["clockOffsetMs"] == -3 * 3600 * 1000
    assert datetime.fromisoformat(payload["serverTime"]) == now
    log = await db_state.mutation_log(api.parts.db, device.client_id)
    assert [m.client_time for m in log] == [now + timedelta(hours=2, minutes=30)] * 2
    assert [m.corrected_time for m in log] == [now - timedelta(minutes=30)] * 2
    assert [m.clock_flagged for m in log] == [False, False]
    client = await db_state.sync_client(api.parts.db, device.client_id)
    assert client is not None and client.clock_offset_ms == -3 * 3600 * 1000
    await device.pull_all()
    pulled = device.replica[("TestNote", note_id)]["data"]
    assert datetime.fromisoformat(pulled["clientTime"]) == now - timedelta(minutes=30)


async def test_a_device_clock_one_day_behind_is_corrected_to_server_time(
    api: Api, server_clock: ServerClock
) -> None:
    now = server_clock.freeze()
    device, payload, _ = await _act_then_send(
        api, "behind@example.jp", skew=-timedelta(days=1), acted_ago=timedelta(hours=2), now=now
    )

    assert payload["clockOffsetMs"] == 24 * 3600 * 1000
    log = await db_state.mutation_log(api.parts.db, device.client_id)
    assert [m.client_time for m in log] == [now - timedelta(days=1, hours=2)] * 2
    assert [m.corrected_time for m in log] == [now - timedelta(hours=2)] * 2
    assert [m.clock_flagged for m in log] == [False, False]


async def test_a_device_clock_set_to_2099_does_not_make_its_action_the_latest(
    api: Api, server_clock: ServerClock
) -> None:
    now = server_clock.freeze()
    year_2099 = datetime(2099, 1, 1, tzinfo=UTC)
    honest, _, _ = await _act_then_send(
        api, "honest@example.jp", skew=timedelta(0), acted_ago=timedelta(minutes=10), now=now
    )
    future, payload, _ = await _act_then_send(
        api, "future@example.jp", skew=year_2099 - now, acted_ago=timedelta(minutes=20), now=now
    )

    assert payload["clockOffsetMs"] == (now - year_2099) / MS  # years off, still a plain Float
    [honest_row, _] = await db_state.mutation_log(api.parts.db, honest.client_id)
    [future_row, _] = await db_state.mutation_log(api.parts.db, future.client_id)
    assert future_row.client_time == year_2099 - timedelta(minutes=20)
    assert future_row.corrected_time == now - timedelta(minutes=20)
    assert future_row.corrected_time < honest_row.corrected_time == now - timedelta(minutes=10)


async def test_an_action_stamped_2099_by_a_since_fixed_clock_is_clamped_to_arrival_and_flagged(
    api: Api, server_clock: ServerClock
) -> None:
    now = server_clock.freeze()
    device = await api.device("fixed-later@example.jp")
    device.clock = clock = DeviceClock(datetime(2099, 1, 1, tzinfo=UTC))
    note_id = str(uuid.uuid4())
    device.enqueue("testNote", {"id": note_id, "text": "queued while the clock said 2099"})
    clock.shows = now  # the clock was fixed (NTP) before the phone came back online

    payload = _push(await device.send(device.queue))

    assert payload["results"][0]["status"] == "APPLIED"
    assert payload["clockOffsetMs"] == 0
    [row] = await db_state.mutation_log(api.parts.db, device.client_id)
    assert row.client_time == datetime(2099, 1, 1, tzinfo=UTC)
    assert (row.corrected_time, row.clock_flagged) == (now, True)
    await device.pull_all()
    assert (
        datetime.fromisoformat(device.replica[("TestNote", note_id)]["data"]["clientTime"]) == now
    )
