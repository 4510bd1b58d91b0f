"""The operator's side: `otagai market expire` from cron, and the demo ward's listings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.api.cli import main
from backend.core.db import driver_url
from backend.market.demo import DEMO
from backend.market.models import Listing


def _listings(db_url: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(driver_url(db_url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.select(Listing.title, Listing.status, Listing.visibility))]
    finally:
        engine.dispose()


def test_the_demo_ward_has_a_few_listings_and_loading_twice_adds_none(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTAGAI_DATABASE_URL", db_url)

    main(["demo", "load"])
    main(["demo", "load"])

    found = _listings(db_url)
    assert sorted(t for t, _, _ in found) == sorted(spec[3] for spec in DEMO)
    assert {s for _, s, _ in found} == {"OPEN"}


def test_market_expire_marks_listings_past_their_time(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTAGAI_DATABASE_URL", db_url)
    main(["demo", "load"])
    engine = sa.create_engine(driver_url(db_url, sync=True), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.update(Listing.__table__).values(  # type: ignore[attr-defined]
            expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    engine.dispose()
    capsys.readouterr()

    main(["market", "expire"])

    assert capsys.readouterr().out.strip() == f"expired: {len(DEMO)}"
    assert {s for _, s, _ in _listings(db_url)} == {"EXPIRED"}
