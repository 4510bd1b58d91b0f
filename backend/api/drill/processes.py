"""What the drill runs and breaks: `otagai serve` in its own process group (so kill -9 takes
every worker), and a TCP proxy that can cut connections in the middle of a response or stop
answering altogether (the network between phones and server, or between server and database)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    def __init__(self, database_url: str, workdir: Path, workers: int, port: int | None = None,
                 push_lease_s: float | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.workers = workers
        # The drill's phones are subscribed to its own push service on 127.0.0.1.
        self.env = {**os.environ, "OTAGAI_DATABASE_URL": database_url, "OTAGAI_DATA_DIR": str(workdir),
                    "OTAGAI_RATE_LIMITS": "off", "OTAGAI_PUSH_ALLOW_LOOPBACK": "1", "PYTHONPATH": str(ROOT)}
        self.env.pop("OTAGAI_PLUGINS", None)
        if push_lease_s is not None:  # how soon a killed server's deliveries are sent again
            self.env["OTAGAI_PUSH_LEASE_SECONDS"] = str(push_lease_s)
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self, timeout: float = 90.0) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "backend.api.cli", "serve", "--port", str(self.port),
                 "--workers", str(self.workers)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace").splitlines()[-15:]
                raise RuntimeError("the server exited:\n" + "\n".join(tail))
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        os.killpg(self.process.pid, signal.SIGKILL)  # never leave a half-started server behind
        self.process.wait(10)
        tail = self.log_path.read_text(errors="replace").splitlines()[-5:]
        raise RuntimeError(f"the server did not start in {timeout:.0f} s; the end of {self.log_path}:\n"
                           + "\n".join(tail))

    def restart(self, give_up_after: float = 120.0) -> None:
        """Start again as a supervisor (systemd) would: a start that fails because the
        database is unavailable right now is tried again until it succeeds."""
        deadline = time.monotonic() + give_up_after
        while True:
            try:
                self.start()
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each serving process (the workers, or the one process)."""
        if self.process is None or self.process.poll() is not None:
            return []
        pids = _children(self.process.pid) or [self.process.pid]
        return [mb for mb in (_rss_mb(pid) for pid in pids) if mb is not None]

    def kill(self) -> None:
        """kill -9 the whole process group (every worker), as a power cut would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.kills += 1

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class FaultProxy:
    """127.0.0.1:<port> → target. `drop_rate`: the chance that a chunk of a response is the
    last one sent before the connection is cut; `outage()`: refuse everything for a while."""

    def __init__(self, target_port: int, *, drop_rate: float = 0.0, seed: int = 0) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.drop_rate = drop_rate
        self.rng = random.Random(seed)
        self.down = False
        self.drops = 0
        self.outages = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()

    async def outage(self, seconds: float) -> None:
        """Cut every open connection and refuse new ones for `seconds`."""
        self.down = True
        self.outages += 1
        for writer in list(self._writers):
            writer.close()
        try:
            await asyncio.sleep(seconds)
        finally:
            self.down = False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer, cut=False), self._pipe(up_reader, writer, cut=True))
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, cut: bool) -> None:
        try:
            while not self.down:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                if cut and self.drop_rate and self.rng.random() < self.drop_rate:
                    self.drops += 1
                    writer.write(chunk[: len(chunk) // 2])  # half a response, then nothing
                    await writer.drain()
                    break
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
