"""The push HTTP client: responses framed every way HTTP/1.1 allows, and kept-alive connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from backend.push.transport import NetworkError, Transport

ANSWERS = {
    b"/length": b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nLocation: /m/1\r\n\r\nok",
    b"/chunked": b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
    b"/empty": b"HTTP/1.1 204 No Content\r\n\r\n",
    b"/eof": b"HTTP/1.1 201 Created\r\n\r\nbody until the connection closes",
    b"/busy": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n",
    b"/garbage": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
}


@asynccontextmanager
async def origin() -> AsyncIterator[tuple[int, list[int]]]:
    """A tiny HTTP/1.1 server; yields its port and how many connections it accepted."""
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ")[1]
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                await reader.readexactly(length)
                writer.write(ANSWERS[path])
                await writer.drain()
                if path in (b"/eof", b"/garbage"):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield port, connections


@pytest.mark.parametrize("path, status", [("length", 201), ("chunked", 201), ("empty", 204), ("eof", 201),
                                          ("busy", 429)])
async def test_every_response_framing_is_read_and_the_connection_reused_when_it_can_be(path: str, status: int) -> None:
    transport = Transport(per_origin=1)
    async with origin() as (port, connections):
        first = await transport.post(f"http://127.0.0.1:{port}/{path}", b"body", {"TTL": "60"})
        second = await transport.post(f"http://127.0.0.1:{port}/{path}", b"body", {"TTL": "60"})
        await transport.close()

    assert first.status == second.status == status
    assert len(connections) == (2 if path == "eof" else 1)
    if path == "busy":
        assert first.headers["retry-after"] == "30"


async def test_no_http_answer_is_a_network_error() -> None:
    transport = Transport()
    async with origin() as (port, _):
        with pytest.raises(NetworkError):
            await transport.post(f"http://127.0.0.1:{port}/garbage", b"x", {})
    with pytest.raises(NetworkError):
        await transport.post("http://127.0.0.1:9/push", b"x", {})  # nothing listens on the discard port
