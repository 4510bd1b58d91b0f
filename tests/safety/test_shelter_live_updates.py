"""`shelterStatusChanged` over graphql-transport-ws: the status at once, then again within a
second of each check-in at the shelter — in one process, and across two server workers that
share Redis, where the check-in is pushed to one worker and the subscriber sits on the other.

The token travels in the connection_init payload (API.md "Auth and membership").
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from backend.accounts import service as accounts
from backend.accounts.roles import Role
from backend.api.app import create_app
from backend.core.actions import Registry
from backend.core.db import Database
from backend.core.settings import Settings
from backend.safety import incidents, shelters
from backend.safety.importer.records import ShelterKind, ShelterRecord
from tests.support.databases import KINDS, DatabaseFactory
from tests.support.operations import operation
from tests.support.server import ServerProcess

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette prefers httpx2 for TestClient
    from starlette.testclient import TestClient

PROTOCOL = ["graphql-transport-ws"]
REDIS_URL = "redis://127.0.0.1:6379/0"
SUBSCRIBE = "ShelterStatusChanged"


# -- the scene: a shelter, an incident, its staff and residents -----------------------------
@dataclass
class Scene:
    shelter_id: str
    incident_id: str
    staff_token: str
    residents: list[str] = field(default_factory=list)  # tokens

    @property
    def variables(self) -> dict[str, str]:
        return {"shelterId": self.shelter_id, "incidentId": self.incident_id}


async def set_up(database_url: str, residents: int) -> Scene:
    """Written through the services before any server runs."""
    db = Database(database_url)
    try:
        async with db.unit_of_work() as uow:
            session = uow.session
            record = ShelterRecord(
                common_id="E1311600001201",
                derived_key="13116:駒込小学校:35.7383737:139.7429379",
                municipality_code="13116",
                name="駒込小学校",
                name_kana=None,
                name_en=None,
                address="東京都豊島区駒込3-13-1",
                lat=35.7383737,
                lon=139.7429379,
                capacity=4,
                kind=ShelterKind.BOTH,
                welfare=False,
                hazards=frozenset(),
                associations=(),
                phone=None,
                source_format="test",
                source_row=2,
            )
            [shelter_id] = (await shelters.import_records(session, [record])).ids
            incident = await incidents.open_incident(
                session, actor=None, name="首都直下地震", is_drill=False
            )
            staff, staff_token = await accounts.register(
                session,
                email="staff@komagome.example.jp",
                password="correct horse 1",
                display_name="運営",
            )
            await accounts.grant_role(
                session, actor=None, user_id=staff.id, role=Role.SHELTER_STAFF, scope_id=shelter_id
            )
            scene = Scene(shelter_id, incident.id, staff_token)
            for number in range(residents):
                _, token = await accounts.register(
                    session,
                    email=f"evacuee{number}@example.jp",
                    password="correct horse 1",
                    display_name=f"避難者{number}",
                )
                scene.residents.append(token)
            await uow.commit()
        return scene
    finally:
        await db.dispose()


def check_in_push(
    scene: Scene, condition: str = "SAFE", needs: list[str] | None = None, place: str = "SHELTER"
) -> dict[str, Any]:
    """The body of a `push` that checks one resident in at the shelter (or elsewhere)."""
    now = datetime.now(UTC).isoformat()
    args = {
        "id": str(uuid.uuid4()),
        "incidentId": scene.incident_id,
        "condition": condition,
        "place": place,
        "needs": needs or [],
    }
    if place == "SHELTER":
        args["shelterId"] = scene.shelter_id
    batch = {
        "clientId": str(uuid.uuid4()),
        "serverEpoch": None,
        "appVersion": "test-1",
        "sentAt": now,
        "mutations": [
            {
                "mutationId": str(uuid.uuid4()),
                "seq": 1,
                "clientTime": now,
                "argsVersion": 1,
                "args": {"checkIn": args},
            }
        ],
    }
    return {"query": operation("Push"), "operationName": "Push", "variables": {"input": batch}}


def applied(reply: httpx.Response) -> None:
    assert reply.status_code == 200, reply.text
    [result] = reply.json()["data"]["push"]["results"]
    assert result["status"] == "APPLIED", result


def init(token: str) -> dict[str, Any]:
    return {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}


def subscribe(scene: Scene, frame_id: str = "s1") -> dict[str, Any]:
    return {
        "id": frame_id,
        "type": "subscribe",
        "payload": {
            "query": operation(SUBSCRIBE),
            "operationName": SUBSCRIBE,
            "variables": scene.variables,
        },
    }


def status_of(frame: dict[str, Any]) -> dict[str, Any]:
    assert frame["type"] == "next", frame
    assert not frame["payload"].get("errors"), frame
    status: dict[str, Any] = frame["payload"]["data"]["shelterStatusChanged"]
    return status


def counts(status: dict[str, Any]) -> dict[str, int]:
    return {c["condition"]: c["count"] for c in status["counts"]}


# -- in one process -------------------------------------------------------------------------
def receive_within(ws: Any, seconds: float) -> dict[str, Any]:
    """TestClient's receive blocks for ever; wait for it in a thread with a deadline."""
    box: queue.Queue[Any] = queue.Queue()

    def run() -> None:
        try:
            box.put(ws.receive_json())
        except Exception as exc:  # noqa: BLE001 - handed to the test's thread below
            box.put(exc)

    threading.Thread(target=run, daemon=True).start()
    try:
        got = box.get(timeout=seconds)
    except queue.Empty:
        pytest.fail(f"nothing arrived within {seconds} s")
    if isinstance(got, Exception):
        raise got
    frame: dict[str, Any] = got
    return frame


def test_staff_get_the_status_at_once_and_again_within_a_second_of_each_arrival_and_departure(
    db_url: str, registry: Registry, tmp_path: Path
) -> None:
    scene = asyncio.run(set_up(db_url, residents=2))
    app = create_app(Settings(database_url=db_url, data_dir=tmp_path, rate_limits=False), registry)

    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws,
    ):
        ws.send_json(init(scene.staff_token))
        assert receive_within(ws, 5) == {"type": "connection_ack"}
        ws.send_json(subscribe(scene))
        initial = status_of(receive_within(ws, 5))
        latencies = []
        updates = []
        for token, condition, needs, place in [
            (scene.residents[0], "SAFE", ["WATER"], "SHELTER"),
            (scene.residents[1], "NEED_HELP", ["MEDICAL"], "SHELTER"),
            (scene.residents[0], "SAFE", [], "HOME"),
        ]:
            applied(
                client.post(
                    "/graphql",
                    json=check_in_push(scene, condition, needs, place),
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
            pushed = time.monotonic()
            updates.append(status_of(receive_within(ws, 5)))
            latencies.append(time.monotonic() - pushed)
        ws.send_json({"id": "s1", "type": "complete"})

    assert (initial["shelterId"], initial["occupancy"], initial["crowding"], initial["people"]) == (
        scene.shelter_id,
        0,
        "EMPTY",
        [],
    )
    assert [(u["occupancy"], u["crowding"], counts(u)) for u in updates] == [
        (1, "EMPTY", {"SAFE": 1}),
        (2, "HALF", {"SAFE": 1, "NEED_HELP": 1}),
        (1, "EMPTY", {"NEED_HELP": 1}),
    ]
    assert {n["need"]: n["count"] for n in updates[1]["needs"]} == {"WATER": 1, "MEDICAL": 1}
    assert sorted(p["displayName"] for p in updates[1]["people"]) == ["避難者0", "避難者1"]
    assert [p["displayName"] for p in updates[2]["people"]] == ["避難者1"]
    assert max(latencies) < 1.0, latencies


def test_a_resident_cannot_watch_a_shelter(db_url: str, registry: Registry, tmp_path: Path) -> None:
    scene = asyncio.run(set_up(db_url, residents=1))
    app = create_app(Settings(database_url=db_url, data_dir=tmp_path, rate_limits=False), registry)

    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws,
    ):
        ws.send_json(init(scene.residents[0]))
        assert receive_within(ws, 5) == {"type": "connection_ack"}
        ws.send_json(subscribe(scene))
        frame = receive_within(ws, 5)

    assert frame["id"] == "s1"
    errors = frame["payload"]["errors"] if frame["type"] == "next" else frame["payload"]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]


# -- across two worker processes sharing Redis ----------------------------------------------
def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def serving_process(server: ServerProcess, client_port: int) -> int | None:
    """The pid of the server process holding the far end of our connection from `client_port`."""
    assert server.process is not None
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port, remote_port = (int(f.rsplit(":", 1)[1], 16) for f in fields[1:3])
            if (local_port, remote_port) == (server.port, client_port):
                inode = fields[9]
    if inode is None:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != server.process.pid:
                continue
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in (proc / "fd").iterdir()):
                return int(proc.name)
        except OSError:
            continue
    return None


@dataclass
class Watcher:
    ws: ClientConnection
    worker: int | None


async def watch(server: ServerProcess, scene: Scene) -> Watcher:
    url = server.url.replace("http://", "ws://") + "/graphql"
    ws = await connect(url, subprotocols=PROTOCOL)  # type: ignore[arg-type]
    await ws.send(json.dumps(init(scene.staff_token)))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
    await ws.send(json.dumps(subscribe(scene)))
    assert (
        status_of(json.loads(await asyncio.wait_for(ws.recv(), 5)))["shelterId"] == scene.shelter_id
    )
    return Watcher(ws, serving_process(server, ws.local_address[1]))


def client_port(reply: httpx.Response) -> int:
    port: int = reply.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


async def serving_workers(server: ServerProcess, seconds: float = 30) -> set[int]:
    """The workers answering fresh connections; /healthz answers as soon as the first one is
    up, and the second may still be starting."""
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while len(seen) < server.workers and time.monotonic() < deadline:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            worker = serving_process(server, client_port(await http.get("/healthz")))
        if worker is not None:
            seen.add(worker)
        await asyncio.sleep(0.05)
    return seen


async def next_status(watcher: Watcher) -> tuple[dict[str, Any], float]:
    status = status_of(json.loads(await asyncio.wait_for(watcher.ws.recv(), 5)))
    return status, time.monotonic()


@pytest.mark.skipif(
    "postgresql" not in KINDS, reason="the several-worker deployment runs on PostgreSQL"
)
async def test_a_check_in_pushed_to_one_worker_reaches_a_subscriber_on_the_other_within_a_second(
    databases: DatabaseFactory, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    assert redis_answers(), "Redis must run at 127.0.0.1:6379 (`make services` starts it)"
    url = databases.fresh("postgresql")
    server = ServerProcess(
        url, workdir=tmp_path, workers=2, extra_env={"OTAGAI_REDIS_URL": REDIS_URL}
    )
    watchers: list[Watcher] = []
    try:
        scene = await set_up(url, residents=3)
        server.start()
        workers = await serving_workers(server)
        assert len(workers) == 2, workers
        # New connections until both workers hold a subscriber: whichever worker takes a
        # push, someone is listening on the other one.
        while {w.worker for w in watchers} != workers and len(watchers) < 24:
            watchers.append(await watch(server, scene))
        assert {w.worker for w in watchers} == workers, (workers, [w.worker for w in watchers])

        rounds = []
        for number, token in enumerate(scene.residents, start=1):
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                reply = await http.post(
                    "/graphql",
                    json=check_in_push(scene),
                    headers={"Authorization": f"Bearer {token}"},
                )
                pushed = time.monotonic()
                push_worker = serving_process(server, client_port(reply))
            applied(reply)
            arrived = await asyncio.gather(*(next_status(w) for w in watchers))
            rounds.append(
                (number, push_worker, [(s["occupancy"], at - pushed) for s, at in arrived])
            )
    finally:
        for watcher in watchers:
            await watcher.ws.close()
        server.stop()
        databases.drop(url)

    record_property("rounds (round, pushed to worker, [(occupancy, lag s)])", rounds)
    for number, push_worker, seen in rounds:
        assert push_worker in workers, (push_worker, workers)
        assert [occupancy for occupancy, _ in seen] == [number] * len(watchers)
        on_the_other_worker = [
            lag for (_, lag), w in zip(seen, watchers, strict=True) if w.worker != push_worker
        ]
        assert on_the_other_worker, rounds
        assert max(lag for _, lag in seen) < 1.0, rounds
