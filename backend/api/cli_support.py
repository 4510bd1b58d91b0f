"""What every `otagai` command shares: one-line errors with exit status 2, running a
coroutine, and an argument parser that fails the same way."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn


class UsageError(Exception):
    """Bad input to a command: one line on stderr, exit status 2."""


def fail(message: str) -> NoReturn:
    one_line = "; ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"otagai: error: {one_line}", file=sys.stderr)
    raise SystemExit(2)


def run(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    async def runner() -> Any:
        return await coro_fn()

    return asyncio.run(runner())


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(message)
