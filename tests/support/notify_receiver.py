"""A merchant's notification endpoint: a real HTTP/1.1 server on a port of its own, that can be down
(port closed), failing (503), hanging (reads the request, never answers), slow, or up (200).

Every request it read is recorded with the mode it was in and the answer it gave, so a test can
say which events were received, how often, in which order, and with which signature.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from tests.support.sinks import free_port

Mode = Literal["up", "failing", "hanging", "slow"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    status: int | None  # None: never answered (hanging)
    clock: float  # the server's clock (unix seconds) when the request was read, for signature checks


@dataclass
class NotifyReceiver:
    clock: Callable[[], float]
    port: int = field(default_factory=free_port)
    mode: Mode = "up"
    slow_seconds: float = 0.3
    received: list[Received] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    _server: asyncio.Server | None = None
    _hung: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/imwallet?shop=1"

    @property
    def up(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)

    async def stop(self) -> None:
        """Close the port: new connections are refused."""
        if self._server is not None:
            self._server.close()
            for writer in self._hung:
                writer.close()
            self._hung.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.status is not None and 200 <= r.status < 300]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        request_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        mode = self.mode
        record = Received(path=request_line.split(" ")[1], headers=headers, body=body, status=None,
                          clock=self.clock())
        self.received.append(record)
        if mode == "hanging":
            self._hung.append(writer)  # held open, never answered, until the test stops the receiver
            return
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if mode == "slow":
                await asyncio.sleep(self.slow_seconds)
            status, reason = (503, "Service Unavailable") if mode == "failing" else (200, "OK")
            text = b"busy" if status == 503 else b"ok"
            writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(text)}\r\n"
                         "Connection: close\r\n\r\n".encode() + text)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            record.status = status
        finally:
            self.in_flight -= 1
            writer.close()
