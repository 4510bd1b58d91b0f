"""Process-wide wiring that every entry point (the app, the CLI, workers) needs.

The change feed is flushed inside every write transaction; without this hook, writes made
outside the app (an import from the command line) would never reach devices.
"""

from __future__ import annotations

from backend.core.db import register_precommit_hook
from backend.push import fanout
from backend.sync import changefeed


def wire() -> None:
    register_precommit_hook(changefeed.flush_changes)
    fanout.install()  # push messages are stored in the transaction of the event that causes them
