"""`otagai drill`, short: a small ward plays 15 s with every fault (server killed -9,
connections cut mid-response, the database unavailable for 10 s, skewed device clocks) —
check-ins, a circular and its reads, help requests and offers with contended claims, and an
emergency broadcast pushed to the subscribed phones — and still nothing is lost or doubled,
every phone converges and every phone of the association gets the broadcast. The long drill
lives in bench/."""

from __future__ import annotations

import re

from backend.api.drill.runner import DrillOptions, run_drill
from tests.support.live import cli


def figures(lines: list[str]) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in lines if re.match(r"^[a-z][a-z ]*: ", line))


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return int(found.group(1))


async def test_a_short_drill_with_every_fault_loses_and_doubles_nothing(db_url: str) -> None:
    lines: list[str] = []
    status = await run_drill(
        DrillOptions(residents=150, seconds=15, faults=frozenset({"kill", "net", "db", "clock"}),
                     database_url=db_url, progress=False, concurrency=16,
                     push_lease_s=10),  # a killed server's pushes go out again within the test
        out=lines.append,
    )

    report = figures(lines)
    assert lines[-4:] == [f"applied: {report['applied']}", "lost: 0", "doubled: 0", "converged: 100%"], lines
    assert status == 0
    assert int(report["applied"]) > 150
    assert report["unsent"] == "0"
    assert re.search(r"server killed -9 and restarted [1-9]", report["faults"]), report["faults"]
    assert "database unavailable 10 s" in report["faults"]
    assert number(r"door-knock reports: (\d+)", "\n".join(lines)) > 0
    assert number(r"(\d+) of \d+ \(", report["circulars"]) > 0  # households that read the circular
    assert number(r"(\d+) claims matched", report["marketplace"]) > 0
    assert set(re.findall(r"([A-Z_]+) ×", report["rejected actions by code"])) <= {"ITEM_ALREADY_CLAIMED"}
    delivered, expected = map(int, re.findall(r"delivered (\d+)/(\d+)", report["notifications"])[0])
    assert delivered == expected > 0, report["notifications"]
    assert "misdirected 0, not urgent 0, refused 0" in report["notifications"]


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
