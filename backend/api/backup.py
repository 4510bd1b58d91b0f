"""`otagai backup` and `otagai restore` (issue 8; SYNC.md hard case 13).

SQLite: SQLite's online backup API copies a consistent snapshot while the server runs, and
restores the same way into the database file (stop the server first). PostgreSQL: `pg_dump
--format=custom` (consistent while the server runs) and `pg_restore --clean` in a single
transaction. After a restore the schema is migrated (the backup may be older than the code)
and the server epoch is changed, so every device re-registers and re-sends what it holds:
the restored mutation log answers what the backup already had, the rest is applied again.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from backend.core.db import sqlite_path


class BackupError(Exception):
    """A one-line reason; nothing was changed."""


def _postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql://"):
        raise BackupError("OTAGAI_DATABASE_URL must be sqlite:///… or postgresql://…")
    return database_url


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"{Path(command[0]).name}: {last}")


def _sqlite_backup(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _check_sqlite_backup(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("SELECT epoch FROM sync_server WHERE id = 1").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not an Otagai SQLite backup ({exc})") from None
    finally:
        conn.close()


def backup(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database to `target` (replaced only when complete)."""
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"No such directory: {target.parent}")
    fd, partial_name = tempfile.mkstemp(prefix=".otagai-backup-", dir=target.parent)
    os.close(fd)
    partial = Path(partial_name)
    try:
        path = sqlite_path(database_url)
        if path is not None:
            if not path.exists():
                raise BackupError(f"No database at {path}")
            partial.unlink()
            _sqlite_backup(path, partial)
        else:
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}",
                  f"--dbname={_postgres_url(database_url)}"])
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with the backup's (the server must be stopped)."""
    if not source.is_file():
        raise BackupError(f"No such backup file: {source}")
    path = sqlite_path(database_url)
    if path is not None:
        _check_sqlite_backup(source)
        path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_backup(source, path)
        return
    url = _postgres_url(database_url)
    _run([_tool("pg_restore"), "--list", str(source)])  # refuse a file that is not a dump
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", f"--dbname={url}", str(source)])
