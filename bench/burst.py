"""A burst: every request on its own connection, all sent at the same instant.

wrk keeps a fixed number of connections busy for a duration; a stampede is different: N
citizens press "book" at 07:00 once each. Connections are opened first, then every request
is written at once and each answer timed from its write to its last byte. Plain asyncio
streams over HTTP/1.1 keep the client light (no HTTP library between the socket and the
clock).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson


@dataclass(frozen=True)
class Answer:
    """One request's outcome."""

    status: int
    body: bytes
    seconds: float


def http_post(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 POST request's bytes (the connection is closed after the answer)."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await (reader.readexactly(length) if length is not None else reader.read())
    return status, body


async def burst(
    url: str, payloads: Sequence[bytes], *, connect_timeout: float = 30
) -> list[Answer]:
    """Send every payload (a full HTTP request) at once, each on its own connection."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    go, everyone_connected = asyncio.Event(), asyncio.Event()
    gate = asyncio.Semaphore(200)  # connect in waves: the listen backlog is finite
    connected = 0

    async def one(payload: bytes) -> Answer:
        nonlocal connected
        async with gate:
            reader, writer = await asyncio.open_connection(host, port)
        connected += 1
        if connected == len(payloads):
            everyone_connected.set()
        try:
            await go.wait()
            started = time.perf_counter()
            writer.write(payload)
            await writer.drain()
            status, body = await _read_answer(reader)
            return Answer(status, body, time.perf_counter() - started)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            return Answer(0, str(exc).encode(), 0.0)
        finally:
            writer.close()

    tasks = [asyncio.ensure_future(one(p)) for p in payloads]
    await asyncio.wait_for(everyone_connected.wait(), timeout=connect_timeout)
    await asyncio.sleep(0.2)  # the server has accepted the last ones
    go.set()
    return list(await asyncio.gather(*tasks))


def graphql_payload(
    host: str, path: str, query: str, variables: dict[str, object], token: str
) -> bytes:
    """A POST of a GraphQL operation as a citizen."""
    body = orjson.dumps({"query": query, "variables": variables})
    return http_post(host, path, body, {"Authorization": f"Bearer {token}"})
