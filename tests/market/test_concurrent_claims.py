"""Many neighbours claim at once: exactly the offered quantity is ever claimed.

In-process, the pushes run concurrently on the database (PostgreSQL: one pooled connection
each; SQLite: its single writer). On PostgreSQL a second test pushes through two real
server processes at once, so the claims race in different processes too.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
import sqlalchemy as sa

from backend.core.db import driver_url
from backend.market.models import Claim, Listing
from tests.conftest import Api
from tests.market.neighbours import listing_args, new_id
from tests.support.client import OutboxClient
from tests.support.live import Link, LiveServers, live_servers_fixture

__all__ = ["live_servers_fixture"]


def _claim(device: OutboxClient, listing_id: str, quantity: int) -> str:
    return device.enqueue("claimListing", {"id": new_id(), "listingId": listing_id, "quantity": quantity})


async def _race(devices: list[OutboxClient], listing_id: str, wants: list[int]) -> list[tuple[int, dict[str, Any]]]:
    mutation_ids = [_claim(d, listing_id, q) for d, q in zip(devices, wants, strict=True)]
    await asyncio.gather(*(d.drain() for d in devices))
    return [(q, d.results[m]) for d, q, m in zip(devices, wants, mutation_ids, strict=True)]


def _server_totals(database_url: str, listing_id: str) -> tuple[int, int, int]:
    engine = sa.create_engine(driver_url(database_url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            left = conn.scalar(sa.select(Listing.quantity_left).where(Listing.id == listing_id))
            claimed = conn.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(Claim.quantity), 0)).where(Claim.listing_id == listing_id)
            )
            offered = conn.scalar(sa.select(Listing.quantity).where(Listing.id == listing_id))
    finally:
        engine.dispose()
    return int(offered or 0), int(left or 0), int(claimed or 0)


def _check(results: list[tuple[int, dict[str, Any]]], totals: tuple[int, int, int]) -> None:
    offered, left, claimed = totals
    won = sum(q for q, r in results if r["status"] == "APPLIED")
    lost = [r for _, r in results if r["status"] != "APPLIED"]
    assert all(r["status"] == "REJECTED" and r["code"] == "ITEM_ALREADY_CLAIMED" for r in lost), lost
    assert won == claimed == offered - left
    assert claimed <= offered
    # Everyone who lost asked for more than was left at the end.
    assert all(q > left for q, r in results if r["status"] != "APPLIED")


async def test_concurrent_claims_never_take_more_than_was_offered(api: Api, db_url: str) -> None:
    owner = await api.device("owner@example.jp")
    devices = [await api.device(f"n{i}@example.jp") for i in range(24)]
    args = listing_args(quantity=10)
    owner.enqueue("createListing", args)
    await owner.drain()
    wants = [random.Random(i).randint(1, 3) for i in range(len(devices))]

    results = await _race(devices, str(args["id"]), wants)

    _check(results, _server_totals(db_url, str(args["id"])))


@pytest.mark.slow
@pytest.mark.parametrize("db_kind", ["postgresql"])  # two server processes: the PostgreSQL deployment
async def test_claims_racing_through_two_server_processes_split_exactly(
    db_kind: str, db_url: str, live_servers: LiveServers
) -> None:
    server = live_servers.start(db_url, workers=2)
    link = Link(server)
    try:
        owner = await link.device("owner@example.jp")
        devices = [await link.device(f"n{i}@example.jp") for i in range(40)]
        listings = [listing_args(quantity=q) for q in (7, 12)]
        for args in listings:
            owner.enqueue("createListing", args)
        await owner.drain()
        for args in listings:
            wants = [random.Random(i).randint(1, 2) for i in range(len(devices))]
            results = await _race(devices, str(args["id"]), wants)
            _check(results, _server_totals(db_url, str(args["id"])))
    finally:
        await link.aclose()
