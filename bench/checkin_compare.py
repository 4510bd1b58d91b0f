"""Compare two checkouts on batched check-ins: the same pushes sent to both, alternately.

This machine kind's speed drifts by a factor of two within minutes (the Python loop yardstick
of bench/harness.py), so two runs of bench/checkin_surge.py, one per version, cannot tell a
change of 10 % from the drift. Here one ward is seeded once and copied; a server of each
checkout serves its copy; every push of up to 100 check-ins (a leader door-knocking for the
association's households, then again with everyone moved to the designated shelter, which
changes who sees each status) goes to both, one after the other, in alternating order, one
push at a time. The CPU the server and PostgreSQL used during each push is summed per side:
both sides see the same drift.

Run:  .venv/bin/python bench/checkin_compare.py ../otagai-before .        (A = before, B = this)
The two checkouts must share the database schema (the copy is migrated by this checkout).
Prints CPU per check-in of each side; nothing is written to docs/.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.api.drill.ward import Ward, build_ward, import_shelters, seed
from bench.checkin_surge import DEFAULT_SHELTERS_FILE, open_incident
from bench.harness import (
    BATCH,
    PUSH,
    Device,
    Server,
    copy_database,
    create_database,
    drop_database,
    envelope,
    postgres_cpu_s,
    tree_cpu_s,
)

WARMUP_PUSHES = 10  # per side, not counted: statement caches, the pool, the first plans


def door_knocks(ward: Ward, incident: str, shelter_ids: list[str], rng: random.Random,
                at_shelter: bool) -> list[tuple[int, list[dict[str, Any]]]]:
    """Each association's first leader reports for every other member of its households."""
    queues: dict[int, list[dict[str, Any]]] = {}
    for home in ward.homes:
        leader = ward.leaders[home.association][0]
        for member in home.members:
            if member == leader:
                continue
            item: dict[str, Any] = {
                "id": str(uuid.uuid4()), "incidentId": incident, "subjectId": ward.residents[member].id,
                "condition": rng.choice(("SAFE", "SAFE", "NEED_HELP")), "place": "HOME",
            }
            if at_shelter:
                item.update(place="SHELTER", shelterId=shelter_ids[home.association % len(shelter_ids)])
            queues.setdefault(leader, []).append(item)
    return list(queues.items())


class Side:
    def __init__(self, label: str, server: Server) -> None:
        self.label = label
        self.server = server
        self.devices: dict[int, Device] = {}
        self.server_s = self.postgres_s = 0.0
        self.applied = 0

    async def push(self, http: httpx.AsyncClient, ward: Ward, who: int, batch: list[dict[str, Any]],
                   counted: bool) -> None:
        device = self.devices.setdefault(who, Device(ward.residents[who].token, ward.residents[who].id))
        envelopes = [envelope(device.last_processed_seq + 1 + i, "checkIn", args) for i, args in enumerate(batch)]
        device.last_processed_seq += len(batch)
        variables = {"input": {"clientId": device.client_id, "serverEpoch": device.server_epoch, "appVersion": "compare",
                               "sentAt": datetime.now(UTC).isoformat(), "mutations": envelopes}}
        cpu0, pg0 = tree_cpu_s(self.server.pid), postgres_cpu_s() or 0.0
        response = await http.post(f"{self.server.base}/graphql", json={"query": PUSH, "variables": variables},
                                   headers={"Authorization": f"Bearer {device.token}"})
        cpu1, pg1 = tree_cpu_s(self.server.pid), postgres_cpu_s() or 0.0
        reply = response.json()["data"]["push"]
        device.server_epoch = reply["serverEpoch"]
        applied = sum(1 for result in reply["results"] if result["status"] == "APPLIED")
        if applied != len(batch):
            raise SystemExit(f"{self.label}: {applied} of {len(batch)} applied: {reply['results'][:3]}")
        if counted:
            self.server_s += cpu1 - cpu0
            self.postgres_s += pg1 - pg0
            self.applied += applied


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="otagai-compare-"))
    url_a = create_database("postgresql", workdir)
    url_b = ""
    servers: list[Server] = []
    try:
        shelters = await import_shelters(url_a, DEFAULT_SHELTERS_FILE, args.shelters)
        shelter_ids = [s for s, _, _ in shelters]
        ward = build_ward(residents=args.residents, associations=args.associations, shelters=len(shelter_ids), rng=rng)
        seed(url_a, ward, shelter_ids)
        incident = open_incident(url_a)
        url_b = copy_database(url_a)
        sides = []
        for label, url, root in (("A", url_a, args.a), ("B", url_b, args.b)):
            server = Server(url, workdir, 1, root=root.resolve())  # a free port: after the other started
            servers.append(server)
            server.start()
            sides.append(Side(label, server))
        pushes = [(who, queue[start:start + args.batch])
                  for at_shelter in (False, True)
                  for who, queue in door_knocks(ward, incident, shelter_ids, rng, at_shelter)
                  for start in range(0, len(queue), args.batch)]
        if args.pushes:
            pushes = pushes[:args.pushes]
        async with httpx.AsyncClient(timeout=300) as http:
            for n, (who, batch) in enumerate(pushes):
                for side in (sides if n % 2 == 0 else sides[::-1]):
                    await side.push(http, ward, who, batch, counted=n >= WARMUP_PUSHES)
        print(f"{len(pushes)} pushes of up to {args.batch} check-ins to each side ({args.residents:,} residents; "
              f"the first {WARMUP_PUSHES} not counted)")
        for side, root in zip(sides, (args.a, args.b), strict=True):
            print(f"{side.label} {root}: {side.applied:,} check-ins; CPU per check-in: server "
                  f"{side.server_s / side.applied * 1e6:.0f} µs, PostgreSQL {side.postgres_s / side.applied * 1e6:.0f} µs")
    finally:
        for server in servers:
            server.stop()
        drop_database(url_a)
        if url_b:
            drop_database(url_b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="checkout A (e.g. a git worktree of the commit before)")
    parser.add_argument("b", type=Path, help="checkout B")
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--associations", type=int, default=20)
    parser.add_argument("--shelters", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=BATCH, help="check-ins per push (a resident's phone: 1-5)")
    parser.add_argument("--pushes", type=int, default=0, help="stop after this many pushes per side (0: all)")
    asyncio.run(run(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
