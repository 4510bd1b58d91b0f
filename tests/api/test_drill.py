"""`otagai drill`, short: a small ward plays 15 s with every fault (server killed -9,
connections cut mid-response, the database unavailable for 10 s, skewed device clocks) and
still nothing is lost or doubled and every phone converges. The long drill lives in bench/."""

from __future__ import annotations

import re

from backend.api.drill.runner import DrillOptions, run_drill
from tests.support.live import cli


def figures(lines: list[str]) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in lines if re.match(r"^[a-z]+: ", line))


async def test_a_short_drill_with_every_fault_loses_and_doubles_nothing(db_url: str) -> None:
    lines: list[str] = []
    status = await run_drill(
        DrillOptions(residents=150, seconds=15, faults=frozenset({"kill", "net", "db", "clock"}),
                     database_url=db_url, progress=False, concurrency=16),
        out=lines.append,
    )

    report = figures(lines)
    assert lines[-4:] == [f"applied: {report['applied']}", "lost: 0", "doubled: 0", "converged: 100%"], lines
    assert status == 0
    assert int(report["applied"]) > 150
    assert report["unsent"] == "0"
    assert re.search(r"server killed -9 and restarted [1-9]", report["faults"]), report["faults"]
    assert "database unavailable 10 s" in report["faults"]
    assert int(re.search(r"door-knock reports: (\d+)", "\n".join(lines)).group(1)) > 0  # type: ignore[union-attr]


def test_the_drill_refuses_an_unknown_fault_in_one_line(db_url: str) -> None:
    done = cli(db_url, "drill", "--faults", "kill,earthquake", "--residents", "10")

    assert done.returncode == 2
    assert done.stderr.strip() == (
        "otagai: error: unknown fault(s) earthquake; choose from none, all, kill, net, db, clock")


def test_the_drill_needs_an_empty_database(db_url: str) -> None:
    made = cli(db_url, "user", "create", "--email", "a@example.jp", "--password", "password-123",
               "--name", "既存")
    assert made.returncode == 0, made.stderr

    done = cli(db_url, "drill", "--residents", "10", "--seconds", "1", "--database-url", db_url)

    assert done.returncode == 2
    assert "empty database" in done.stderr
