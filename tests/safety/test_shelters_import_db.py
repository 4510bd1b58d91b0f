"""Importing shelter files into the database: through the service and through
`otagai shelters import`, on every real file in ../shared/data/open-data/.

The parser is tested on its own (tests/safety/importer/); here the counts it reports are the
yardstick: every parsed record becomes one shelter, a second import changes nothing, an edited
row is updated in place, and a refused file writes nothing at all.

Tokyo's 2,251 sites take seconds per import, so that file is imported (twice) only through the
CLI, which runs the same parse_file + shelters.import_records in one unit of work; every other
file goes through both.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from backend.api import cli
from backend.board import associations
from backend.safety import shelters
from backend.safety.importer import parse_file
from backend.safety.models import Shelter, ShelterAssociation
from backend.sync.models import SyncChange
from tests.conftest import Api
from tests.safety.commands import count, otagai, otagai_each, otagai_many, query, reported_counts
from tests.support.command_in_process import run_command
from tests.support.databases import DatabaseFactory

REPO = Path(__file__).resolve().parents[2]
OPEN_DATA = REPO.parent / "shared/data/open-data"
EXCERPTS = REPO / "fixtures/open-data"

SHELTER_FILES = [
    "tokyo_130001_evacuation_area.csv",
    "matsuyama_382019_evacuation_space.csv",
    "ichikawa_122033_103_evacuation_space.cp932.csv",
    "ichikawa_122033_103_evacuation_space.utf8.csv",
    "gsi_mergeFromCity_1_designated_shelters_SAMPLE_sapporo.csv",
    "gsi_mergeFromCity_2_emergency_sites_SAMPLE_toshima.csv",
    "hamamatsu_221390_hinanjo.csv",
    "okinawa_ogimi_473022_evacuation_space.csv",
]
REFUSED_FILES = sorted(
    path.name for path in OPEN_DATA.glob("*.csv") if path.name not in SHELTER_FILES
)


# -- what the database holds ----------------------------------------------------------------
async def import_file(api: Api, path: Path) -> shelters.ImportCounts:
    parsed = parse_file(path)
    async with api.parts.db.unit_of_work() as uow:
        counts = await shelters.import_records(uow.session, parsed.records)
        await uow.commit()
    return counts


async def shelter_rows(api: Api) -> dict[str, tuple[Any, ...]]:
    """Every shelter by id: its key, version and content hash."""
    async with api.parts.db.read_session() as session:
        rows = await session.scalars(sa.select(Shelter))
        return {s.id: (s.common_id, s.derived_key, s.version, s.content_hash) for s in rows}


async def shelter_feed_rows(api: Api) -> int:
    async with api.parts.db.read_session() as session:
        found = await session.scalar(
            sa.select(sa.func.count())
            .select_from(SyncChange)
            .where(SyncChange.entity_type == "Shelter")
        )
        return int(found or 0)


def db_shelters(database_url: str) -> dict[str, tuple[Any, ...]]:
    rows = query(
        database_url, "SELECT id, common_id, derived_key, version, capacity, name FROM shelter"
    )
    return {row[0]: row[1:] for row in rows}


# -- through the service --------------------------------------------------------------------
@pytest.mark.parametrize(
    "file_name", [name for name in SHELTER_FILES if not name.startswith("tokyo")]
)
async def test_each_real_file_imports_every_parsed_record_and_a_second_import_changes_nothing(
    api: Api, file_name: str
) -> None:
    parsed_records = len(parse_file(OPEN_DATA / file_name).records)

    first = await import_file(api, OPEN_DATA / file_name)
    after_first = await shelter_rows(api)
    feed_after_first = await shelter_feed_rows(api)
    second = await import_file(api, OPEN_DATA / file_name)

    assert (first.created, first.updated, first.unchanged) == (parsed_records, 0, 0)
    assert len(after_first) == parsed_records
    assert {version for _, _, version, _ in after_first.values()} == {1}
    assert (second.created, second.updated, second.unchanged) == (0, 0, parsed_records)
    assert sorted(second.ids) == sorted(first.ids) == sorted(after_first)
    assert await shelter_rows(api) == after_first
    assert await shelter_feed_rows(api) == feed_after_first == parsed_records


async def test_the_cp932_and_utf8_twins_are_the_same_shelters(api: Api) -> None:
    from_cp932 = await import_file(
        api, OPEN_DATA / "ichikawa_122033_103_evacuation_space.cp932.csv"
    )
    rows = await shelter_rows(api)
    from_utf8 = await import_file(api, OPEN_DATA / "ichikawa_122033_103_evacuation_space.utf8.csv")

    assert from_cp932.created == 121
    assert (from_utf8.created, from_utf8.updated, from_utf8.unchanged) == (0, 0, 121)
    assert from_utf8.ids == from_cp932.ids
    assert await shelter_rows(api) == rows


# -- associations named in 対象となる町会・自治会 -------------------------------------------
def standard_03_with_associations(target: Path, names_by_row: list[str]) -> Path:
    """The Ichikawa excerpt (standard 03, CP932) with 対象となる町会・自治会 filled in."""
    text = (
        (EXCERPTS / "ichikawa_122033_103_evacuation_space.excerpt.cp932.csv")
        .read_bytes()
        .decode("cp932")
    )
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    column = header.index("対象となる町会・自治会")
    assert len(rows) == len(names_by_row)
    for row, names in zip(rows, names_by_row, strict=True):
        row[column] = names
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    target.write_bytes(out.getvalue().encode("cp932"))
    return target


async def create_associations(api: Api, *names: str) -> list[str]:
    async with api.parts.db.unit_of_work() as uow:
        created = [await associations.create_association(uow.session, name=name) for name in names]
        ids = [a.id for a in created]
        await uow.commit()
    return ids


async def links(api: Api) -> dict[str, set[str]]:
    """Association ids linked to each shelter, by shelter name."""
    async with api.parts.db.read_session() as session:
        rows = await session.execute(
            sa.select(Shelter.name, ShelterAssociation.association_id).join(
                ShelterAssociation,
                ShelterAssociation.shelter_id == Shelter.id,  # type: ignore[arg-type]
            )
        )
        found: dict[str, set[str]] = {}
        for name, association_id in rows:
            found.setdefault(name, set()).add(association_id)
        return found


async def test_a_site_is_linked_to_each_existing_association_it_names_by_folded_name(
    api: Api, tmp_path: Path
) -> None:
    inakoshi, omachi, _unnamed = await create_associations(
        api, "稲越第１町会", "大町 自治会", "大野町会"
    )
    path = standard_03_with_associations(
        tmp_path / "ichikawa_with_associations.csv",
        ["稲越第1町会;大町自治会", "大町自治会；どこにもない町会", ""],
    )

    counts = await import_file(api, path)

    assert counts.created == 3
    assert await links(api) == {"県立国分高校": {inakoshi, omachi}, "大町小学校": {omachi}}


async def test_reimporting_a_file_links_an_association_created_after_the_first_import(
    api: Api, tmp_path: Path
) -> None:
    path = standard_03_with_associations(
        tmp_path / "ichikawa_with_associations.csv", ["稲越第1町会", "", ""]
    )
    await import_file(api, path)
    [inakoshi] = await create_associations(api, "稲越第1町会")

    again = await import_file(api, path)

    assert again.created == 0
    assert await links(api) == {"県立国分高校": {inakoshi}}


# -- through `otagai shelters import` --------------------------------------------------------
def test_every_real_file_imports_through_the_cli_with_the_parsers_counts_then_unchanged(
    databases: DatabaseFactory, db_kind: str
) -> None:
    urls = {name: databases.fresh(db_kind) for name in SHELTER_FILES}
    try:
        expected = {name: len(parse_file(OPEN_DATA / name).records) for name in SHELTER_FILES}
        first = _import_each(urls)
        after_first = {name: db_shelters(url) for name, url in urls.items()}
        # Again, through the same command in this process: a new interpreter per file costs
        # seconds, and the first round has shown that the command works as its own process.
        second = {name: run_command(url, "shelters", "import", str(OPEN_DATA / name)) for name, url in urls.items()}

        for name in SHELTER_FILES:
            assert first[name].returncode == 0, (name, first[name].stderr)
            assert reported_counts(first[name]) == {
                "created": expected[name],
                "updated": 0,
                "unchanged": 0,
                "skipped": 0,
            }, name
            assert len(after_first[name]) == expected[name], name
            assert second[name].returncode == 0, (name, second[name].stderr)
            assert reported_counts(second[name]) == {
                "created": 0,
                "updated": 0,
                "unchanged": expected[name],
                "skipped": 0,
            }, name
            assert db_shelters(urls[name]) == after_first[name], name
    finally:
        for url in urls.values():
            databases.drop(url)


def _import_each(urls: dict[str, str]) -> dict[str, Any]:
    """One import process per file, side by side, each on its own database."""
    runs = [(url, ["shelters", "import", str(OPEN_DATA / name)]) for name, url in urls.items()]
    return dict(zip(urls, otagai_each(runs), strict=True))


async def test_shelters_imported_through_the_cli_reach_devices_through_pull(
    api: Api, db_url: str
) -> None:
    excerpt = EXCERPTS / "matsuyama_382019_evacuation_space.excerpt.csv"
    device = await api.device("resident@example.jp")

    imported = otagai(db_url, "shelters", "import", str(excerpt))
    await device.pull_all()

    assert reported_counts(imported)["created"] == 3
    pulled = {eid: row["data"] for (kind, eid), row in device.replica.items() if kind == "Shelter"}
    assert set(pulled) == set(db_shelters(db_url))
    assert sorted(data["commonId"] for data in pulled.values()) == [
        "E3820100199201",
        "E3820100407201",
        "E3820100602201",
    ]


def test_the_cli_reports_one_updated_row_and_names_a_skipped_one_after_a_copy_was_edited(
    db_url: str, tmp_path: Path
) -> None:
    copy = tmp_path / "matsuyama.csv"
    shutil.copyfile(EXCERPTS / "matsuyama_382019_evacuation_space.excerpt.csv", copy)
    first = otagai(db_url, "shelters", "import", str(copy))
    before = db_shelters(db_url)
    original = copy.read_bytes()
    edits = {b'"4,800 "': b'"5,000 "', b"33.84437357,132.781522": b","}  # 東雲公園, 持田若宮公園
    assert all(original.count(old) == 1 for old in edits)
    for old, new in edits.items():
        original = original.replace(old, new)
    copy.write_bytes(original)

    second = otagai(db_url, "shelters", "import", str(copy))

    assert reported_counts(first) == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0}
    assert reported_counts(second) == {"created": 0, "updated": 1, "unchanged": 1, "skipped": 1}
    after_counts = second.stdout.split("skipped: 1\n", 1)[1].splitlines()
    assert after_counts[0].strip().startswith("skipped row 4 (持田若宮公園): "), second.stdout
    after = db_shelters(db_url)
    assert set(after) == set(before)
    changed = {sid: row for sid, row in after.items() if row != before[sid]}
    [(shelter_id, (common_id, _, version, capacity, name))] = changed.items()
    assert (common_id, version, capacity, name) == ("E3820100407201", 2, 5000, "東雲公園")
    assert before[shelter_id][2:4] == (1, 4800)


def test_refused_files_exit_2_with_one_line_naming_the_dataset_and_write_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every refused file through `main` in this process; one through a real process too."""
    feed_before = count(db_url, "sync_change")
    monkeypatch.setenv("OTAGAI_DATABASE_URL", db_url)
    outcomes = {}
    for name in REFUSED_FILES:
        with pytest.raises(SystemExit) as exited:
            cli.main(["shelters", "import", str(OPEN_DATA / name)])
        outcomes[name] = (exited.value.code, capsys.readouterr())
    [in_a_process] = otagai_many(
        db_url, [["shelters", "import", str(OPEN_DATA / REFUSED_FILES[0])]]
    )

    assert len(REFUSED_FILES) == 13
    for name, (code, output) in outcomes.items():
        assert code == 2, name
        assert output.out == "", name
        [line] = output.err.splitlines()
        assert line.startswith("otagai: error: refused: "), line
    assert in_a_process.returncode == 2
    assert in_a_process.stderr == outcomes[REFUSED_FILES[0]][1].err
    assert count(db_url, "shelter") == 0
    assert count(db_url, "sync_change") == feed_before


def test_a_file_in_no_known_layout_exits_2_with_a_one_line_error_and_writes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    not_shelters = tmp_path / "stock.csv"
    not_shelters.write_text("品名,数量\n水,10\n", encoding="utf-8")
    missing = tmp_path / "missing.csv"

    unknown, absent = otagai_many(
        db_url, [["shelters", "import", str(not_shelters)], ["shelters", "import", str(missing)]]
    )

    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert (absent.returncode, absent.stdout) == (2, "")
    assert absent.stderr.splitlines() == [f"otagai: error: no such file: {missing}"]
    assert count(db_url, "shelter") == 0
    assert len(unknown.stderr.splitlines()) == 1, unknown.stderr
