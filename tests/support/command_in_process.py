"""An `otagai` command run inside the test process, for tests that only need its effect.

A new interpreter imports the whole backend again before it does anything (2.5 s on a slow
machine), and the browser tests run several commands each. The command itself is the same:
`backend.api.cli.main` with the database URL in the environment, on a thread of its own (the
browser tests' playwright keeps an event loop on the main thread, and the command runs one).
Tests of the command as operators run it (tests/api, tests/safety) still start a process.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock

import backend.api.app  # noqa: F401  (registers the change feed's pre-commit hook, as the server does)
from backend.api.cli import main


def run_command(database_url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `otagai ARGS` on the database; its exit status and what it printed, as a process
    run would give them."""
    out, err = io.StringIO(), io.StringIO()
    outcome: dict[str, object] = {}

    def command() -> None:
        try:
            with redirect_stdout(out), redirect_stderr(err):
                main(list(args))
            outcome["status"] = 0
        except SystemExit as exc:
            outcome["status"] = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001  (raised again on the test's thread)
            outcome["error"] = exc

    with mock.patch.dict(os.environ, {"OTAGAI_DATABASE_URL": database_url}):
        thread = threading.Thread(target=command, name="otagai-command", daemon=True)
        thread.start()
        thread.join(timeout)
    assert not thread.is_alive(), f"otagai {' '.join(args)} did not finish in {timeout} s"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    status = int(outcome["status"])  # type: ignore[call-overload]
    return subprocess.CompletedProcess(["otagai", *args], status, out.getvalue(), err.getvalue())
