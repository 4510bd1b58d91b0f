"""A small keep-alive HTTP/1.1 client for POSTing push messages.

Why not httpx: measured against a local sink (TOOLING.md) httpx manages ~1,200 requests/s on
one core, too few for 100,000 phones in a minute. Push services speak plain HTTP/1.1 with a
small response, so a pool of persistent connections per origin, a request written in one
go and a response read by its Content-Length (or chunks) is all this needs.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT_S = 15.0
MAX_HEADER_BYTES = 16 * 1024


class NetworkError(Exception):
    """No HTTP answer: refused, reset, timed out, or not HTTP."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Transport:
    def __init__(self, *, per_origin: int = 64, timeout_s: float = TIMEOUT_S) -> None:
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._slots: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._per_origin = per_origin
        self._timeout_s = timeout_s
        self._ssl = ssl.create_default_context()

    async def post(self, url: str, body: bytes, headers: dict[str, str], *, address: str | None = None) -> Response:
        """POST `body`; `address` pins the IP that was checked (a DNS answer cannot change it)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = f"POST {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (head + "\r\n").encode("latin-1") + body
        slots = self._slots.setdefault(key, asyncio.Semaphore(self._per_origin))
        async with slots:
            try:
                async with asyncio.timeout(self._timeout_s):
                    return await self._exchange(key, request, address)
            except (OSError, EOFError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ValueError) as exc:
                raise NetworkError(f"{type(exc).__name__}: {exc}") from exc

    async def _exchange(self, key: tuple[str, str, int], request: bytes, address: str | None) -> Response:
        idle = self._idle.setdefault(key, [])
        while idle:  # a kept-alive connection the server closed meanwhile: try the next one
            conn = idle.pop()
            try:
                return await self._round_trip(key, conn, request)
            except (OSError, EOFError, asyncio.IncompleteReadError):
                conn[1].close()
        scheme, host, port = key
        if scheme == "https":
            conn = await asyncio.open_connection(address or host, port, limit=MAX_HEADER_BYTES * 4, ssl=self._ssl,
                                                 server_hostname=host)
        else:
            conn = await asyncio.open_connection(address or host, port, limit=MAX_HEADER_BYTES * 4)
        return await self._round_trip(key, conn, request)

    async def _round_trip(self, key: tuple[str, str, int], conn: _Conn, request: bytes) -> Response:
        reader, writer = conn
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEADER_BYTES:
            raise ValueError("response headers too large")
        lines = head.decode("latin-1").split("\r\n")
        version, status_text, *_ = lines[0].split(" ", 2) + [""]
        if not version.startswith("HTTP/1."):
            raise ValueError(f"not an HTTP/1.x response: {lines[0][:40]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        status = int(status_text)
        delimited = await self._skip_body(reader, headers, status)
        if not delimited or headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
            writer.close()
        else:
            self._idle[key].append(conn)
        return Response(status=status, headers=headers)

    @staticmethod
    async def _skip_body(reader: asyncio.StreamReader, headers: dict[str, str], status: int) -> bool:
        """Read past the body; False when it ran to the end of the connection (not reusable)."""
        if status in (204, 304) or 100 <= status < 200:
            return True
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                        pass
                    return True
                await reader.readexactly(size + 2)
        length = headers.get("content-length")
        if length is None:
            await reader.read()  # delimited by the server closing the connection
            return False
        await reader.readexactly(int(length))
        return True

    async def close(self) -> None:
        for conns in self._idle.values():
            for _, writer in conns:
                writer.close()
        self._idle.clear()
