"""The `otagai` command run as an operator runs it: a separate process on a database URL,
and what the database holds afterwards (read directly, with no app in between)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import sqlalchemy as sa

from backend.core.db import driver_url
from tests.support.server import ROOT


def otagai_each(runs: list[tuple[str, list[str]]]) -> list[subprocess.CompletedProcess[str]]:
    """Run (database URL, arguments) pairs side by side: each process start costs most of a
    second, so independent commands start together."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "backend.api.cli", *args],
            cwd=ROOT,
            env={**os.environ, "OTAGAI_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for database_url, args in runs
    ]
    results = []
    for (_, args), process in zip(runs, processes, strict=True):
        stdout, stderr = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, process.returncode, stdout, stderr))
    return results


def otagai_many(
    database_url: str, commands: list[list[str]]
) -> list[subprocess.CompletedProcess[str]]:
    return otagai_each([(database_url, args) for args in commands])


def otagai(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return otagai_many(database_url, [list(args)])[0]


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stdout.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


def reported_counts(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """The `created: N` … `skipped: N` lines of `otagai shelters import`."""
    counts = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(": ")
        if key in ("created", "updated", "unchanged", "skipped"):
            counts[key] = int(value)
    return counts


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(driver_url(database_url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def count(database_url: str, table: str) -> int:
    [(found,)] = query(database_url, f"SELECT count(*) FROM {table}")
    return int(found)
