"""SYNC.md hard case 13: the server is restored from an older backup (a new epoch).

Everything pushed after the backup was taken is gone from the restored database. The
operator takes the backup with `otagai backup` while the server runs, and later stops the
server and runs `otagai restore`, which also starts a new epoch; a device that pushes with the old serverEpoch is
told CLIENT_STATE_RESET, re-registers and re-sends everything it holds. The mutation log
in the backup answers what it already had (nothing doubled) and the rest is applied again
(nothing lost); every device's pull starts over and converges.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.support.client import OutboxClient
from tests.support.live import (
    Link,
    LiveServers,
    cli,
    live_servers_fixture,  # noqa: F401 - the live_servers fixture
    replica_notes,
    server_epoch,
    server_mutations,
    server_notes,
    server_profile,
    visible_notes,
)


class Diary:
    """What one device ever queued, so the test knows what the server must end up with."""

    def __init__(self, device: OutboxClient) -> None:
        self.device = device
        self.texts: dict[str, str] = {}
        self.edits: Counter[str] = Counter()
        self.names: list[str] = []
        self.mutation_ids: list[str] = []

    def note(self, note_id: str, text: str) -> None:
        self.texts[note_id] = text
        self.edits[note_id] += 1
        self.mutation_ids.append(self.device.enqueue("testNote", {"id": note_id, "text": text}))

    def rename(self, name: str) -> None:
        self.names.append(name)
        self.mutation_ids.append(self.device.enqueue("updateProfile", {"displayName": name}))

    def expected_notes(self) -> dict[str, tuple[int, str]]:
        return {i: (self.edits[i], self.texts[i]) for i in self.edits}


async def test_after_a_restore_devices_resend_and_nothing_is_lost_or_doubled(
    db_url: str, tmp_path: Path, live_servers: LiveServers
) -> None:
    server = live_servers.start(db_url)
    link = Link(server)
    try:
        hanako = Diary(await link.device("hanako@example.jp", "花子"))
        taro = Diary(await link.device("taro@example.jp", "太郎"))

        # Before the backup.
        for n in range(4):
            hanako.note(f"h-{n}", f"花子のメモ {n}")
        hanako.note("h-0", "花子のメモ 0 改")
        hanako.rename("鈴木 花子")
        taro.note("t-0", "太郎のメモ")
        for diary in (hanako, taro):
            assert (await diary.device.drain()).stopped_because == "empty"
            await diary.device.pull_all(limit=3)
        in_backup = list(hanako.mutation_ids)
        old_epoch = hanako.device.server_epoch
        assert old_epoch is not None and taro.device.server_epoch == old_epoch

        # The nightly backup, taken while the server runs.
        backup_file = tmp_path / "nightly.backup"
        done = cli(db_url, "backup", str(backup_file))
        assert done.returncode == 0, done.stderr
        assert backup_file.stat().st_size > 0

        # After the backup: applied, acknowledged and pulled, then lost by the restore.
        hanako.note("h-1", "花子のメモ 1 改")
        hanako.note("h-4", "バックアップ後のメモ")
        hanako.rename("鈴木 はなこ")
        taro.note("t-0", "太郎のメモ 改")
        taro.note("t-1", "バックアップ後の太郎のメモ")
        for diary in (hanako, taro):
            assert (await diary.device.drain()).stopped_because == "empty"
            assert {diary.device.results[i]["status"] for i in diary.mutation_ids} == {"APPLIED"}
            await diary.device.pull_all(limit=3)
        assert replica_notes(hanako.device)["h-4"] == (1, "バックアップ後のメモ")
        # Queued while the server is being restored, never sent before.
        hanako.note("h-2", "復旧中に書いたメモ")
        hanako.note("h-5", "復旧中の新しいメモ")

        # The restore: the server stops, the backup replaces the database with a new epoch.
        server.stop()
        done = cli(db_url, "restore", str(backup_file))
        assert done.returncode == 0, done.stderr
        new_epoch = done.stdout.strip().splitlines()[-1]
        backup = db_url
        assert new_epoch != old_epoch and server_epoch(backup) == new_epoch
        restored = live_servers.start(backup)
        await link.point_at(restored)
        assert "h-4" not in server_notes(backup)  # the post-backup writes really are gone

        old_client_id = hanako.device.client_id
        assert (await hanako.device.drain()).stopped_because == "empty"
        assert hanako.device.resets == 1 and hanako.device.client_id != old_client_id
        assert hanako.device.server_epoch == new_epoch
        assert hanako.device.needs_attention == []

        # Taro's device has nothing new to send until he writes again; then it learns.
        await taro.device.pull_all(limit=3)
        assert taro.device.cursor is not None and "t-1" not in replica_notes(taro.device)
        assert replica_notes(taro.device)["t-0"] == (1, "太郎のメモ"), "his pull restarted on the backup"
        taro.note("t-2", "復旧後の太郎のメモ")
        assert (await taro.device.drain()).stopped_because == "empty"
        assert taro.device.resets == 1 and taro.device.server_epoch == new_epoch

        # Nothing lost, nothing doubled: versions count the edits each note ever had.
        notes = {i: (n.version, n.text) for i, n in server_notes(backup).items()}
        assert notes == {**hanako.expected_notes(), **taro.expected_notes()}
        assert server_profile(backup, hanako.device.user_id) == ("鈴木 はなこ", 1 + len(hanako.names))
        for diary in (hanako, taro):
            logged = server_mutations(backup, diary.mutation_ids)
            assert set(logged) == set(diary.mutation_ids)
            assert {row.status for row in logged.values()} == {"APPLIED"}
        # What the backup held was answered from its log; the rest was applied afresh.
        logged = server_mutations(backup, hanako.mutation_ids)
        assert {i: logged[i].client_id for i in in_backup} == {i: old_client_id for i in in_backup}
        assert {logged[i].client_id for i in hanako.mutation_ids[len(in_backup):]} == {hanako.device.client_id}

        # Every device's replica converges to the restored server.
        for diary in (hanako, taro):
            await diary.device.pull_all(limit=3)
            assert replica_notes(diary.device) == visible_notes(backup)
        profile = hanako.device.replica[("Profile", hanako.device.user_id)]
        assert (profile["version"], profile["data"]["displayName"]) == (3, "鈴木 はなこ")
    finally:
        await link.aclose()
