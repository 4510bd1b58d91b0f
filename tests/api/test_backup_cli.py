"""`otagai backup` / `otagai restore` refuse bad input with one line and change nothing."""

from __future__ import annotations

from pathlib import Path

from tests.support.live import cli, server_epoch


def test_restoring_a_file_that_is_not_a_backup_changes_nothing(db_url: str, tmp_path: Path) -> None:
    epoch = server_epoch(db_url)
    junk = tmp_path / "not-a-backup.bin"
    junk.write_bytes(b"this is not a database dump\n" * 10)

    done = cli(db_url, "restore", str(junk))

    assert done.returncode == 2
    assert done.stderr.startswith("otagai: error: ") and len(done.stderr.strip().splitlines()) == 1
    assert server_epoch(db_url) == epoch


def test_restoring_a_missing_file_is_refused(db_url: str, tmp_path: Path) -> None:
    done = cli(db_url, "restore", str(tmp_path / "nowhere.backup"))

    assert done.returncode == 2
    assert "No such backup file" in done.stderr


def test_a_backup_into_a_missing_directory_is_refused_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    done = cli(db_url, "backup", str(tmp_path / "no" / "such" / "dir" / "x.backup"))

    assert done.returncode == 2
    assert "No such directory" in done.stderr
    assert not (tmp_path / "no").exists()


def test_a_backup_restores_to_its_own_state_with_a_new_epoch(db_url: str, tmp_path: Path) -> None:
    epoch = server_epoch(db_url)
    backup_file = tmp_path / "b.backup"
    assert cli(db_url, "backup", str(backup_file)).returncode == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".otagai-backup-")] == []

    done = cli(db_url, "restore", str(backup_file))

    assert done.returncode == 0, done.stderr
    new_epoch = done.stdout.strip().splitlines()[-1]
    assert new_epoch != epoch and server_epoch(db_url) == new_epoch
