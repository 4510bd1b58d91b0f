"""The `otagai` command, run as an operator runs it: a separate process on a database URL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from backend.accounts.models import User
from backend.api.migrate import alembic_config
from backend.core.db import driver_url
from tests.support.databases import KINDS
from tests.support.server import ROOT

PASSWORD = "correct horse 1"


def otagai(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return otagai_many(database_url, [list(args)])[0]


def otagai_many(database_url: str, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run commands side by side (each start costs most of a second)."""
    env = {**os.environ, "OTAGAI_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "backend.api.cli", *args], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for args in commands
    ]
    results = []
    for args, process in zip(commands, processes, strict=True):
        stdout, stderr = process.communicate(timeout=60)
        results.append(subprocess.CompletedProcess(args, process.returncode, stdout, stderr))
    return results


def query(database_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(driver_url(database_url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def insert_user(database_url: str, email: str, name: str) -> None:
    """An existing account, written directly (one process start fewer per test)."""
    engine = sa.create_engine(driver_url(database_url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(User.__table__).values(  # type: ignore[attr-defined]
                id=str(uuid.uuid4()), email=email, password_hash="$argon2id$placeholder",
                display_name=name, locale="ja", languages=[], version=1, created_at=datetime.now(UTC),
            ))
    finally:
        engine.dispose()


def test_user_create_prints_the_new_id_alone_on_the_last_line(db_url: str) -> None:
    result = otagai(db_url, "user", "create", "--email", "Bousai@Ward.example.jp",
                    "--password", PASSWORD, "--name", "防災課", "--role", "ward_admin")

    assert result.returncode == 0, result.stderr
    last_line = result.stdout.rstrip("\n").splitlines()[-1]
    assert str(uuid.UUID(last_line)) == last_line
    assert query(db_url, "SELECT id, email, display_name FROM account_user") == [
        (last_line, "bousai@ward.example.jp", "防災課")
    ]
    assert query(db_url, "SELECT user_id, role, scope_id FROM account_role") == [(last_line, "WARD_ADMIN", "")]


@pytest.mark.parametrize("db_kind", KINDS[:1], indirect=True)  # refused before any write
def test_user_create_refuses_bad_input_in_one_line_with_status_2_and_creates_nothing(db_url: str) -> None:
    good = ["--email", "hanako@example.jp", "--password", PASSWORD, "--name", "花子"]
    cases = {
        "bad email": ["--email", "not-an-email", *good[2:]],
        "missing name": good[:4],
        "scoped role": [*good, "--role", "leader"],
    }

    results = otagai_many(db_url, [["user", "create", *args] for args in cases.values()])

    outcomes = {
        label: (r.returncode, len(r.stderr.strip().splitlines()), r.stderr.startswith("otagai: error: "))
        for label, r in zip(cases, results, strict=True)
    }
    assert outcomes == {label: (2, 1, True) for label in cases}, {
        label: r.stderr for label, r in zip(cases, results, strict=True)
    }
    assert all(r.stdout == "" for r in results)
    assert query(db_url, "SELECT count(*) FROM account_user") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM account_role") == [(0,)]


@pytest.mark.parametrize("db_kind", KINDS[:1], indirect=True)
def test_user_create_refuses_an_email_that_is_taken(db_url: str) -> None:
    insert_user(db_url, "hanako@example.jp", "花子")

    again = otagai(db_url, "user", "create", "--email", "HANAKO@example.jp",
                   "--password", "correct horse 2", "--name", "別人", "--role", "ward_admin")

    assert again.returncode == 2
    assert "EMAIL_TAKEN" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert query(db_url, "SELECT display_name FROM account_user") == [("花子",)]
    assert query(db_url, "SELECT count(*) FROM account_role") == [(0,)]


def head_revision(database_url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert head is not None
    return head


def test_db_upgrade_on_an_up_to_date_database_changes_nothing(db_url: str) -> None:
    insert_user(db_url, "hanako@example.jp", "花子")

    result = otagai(db_url, "db", "upgrade")

    assert result.returncode == 0, result.stderr
    assert query(db_url, "SELECT version_num FROM alembic_version") == [(head_revision(db_url),)]
    assert query(db_url, "SELECT email FROM account_user") == [("hanako@example.jp",)]


def test_db_upgrade_creates_the_schema_in_an_empty_database_and_can_run_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'otagai.sqlite3'}"

    first = otagai(url, "db", "upgrade")
    second = otagai(url, "db", "upgrade")

    assert (first.returncode, second.returncode) == (0, 0), (first.stderr, second.stderr)
    assert first.stdout == second.stdout
    tables = {row[0] for row in query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"account_user", "account_token", "account_role", "audit_log", "alembic_version"} <= tables
    assert query(url, "SELECT version_num FROM alembic_version") == [(head_revision(url),)]
