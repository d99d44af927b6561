"""uvicorn's httptools protocol, with a response's writes leaving in one send() per loop turn.

uvicorn writes a response's status line and headers, then its body, as two `transport.write` calls,
and uvloop sends each at once: two send() syscalls and two TCP segments for every response, the
client woken for the head and again for the body. On this machine's virtualised loopback the first
of those writes was 15 % of a worker's samples under `{ __typename }` load, the second 4 %
(docs/performance-findings.md, "Session 10"). Node's http module corks the socket for the tick
in which a response is written; aiohttp coalesces head and body (aio-libs/aiohttp#10991). This
does the same at the transport: writes made in one turn of the event loop are joined and written
once, at the start of the next turn. Websocket upgrades get the real transport: a websocket's
frames are written by its own protocol class, with its own flow control.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _CorkedTransport:
    """A transport whose writes within one loop turn are joined into one write of the real one."""

    __slots__ = ("_loop", "_pending", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self.transport.is_closing():
            self.transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() + sum(map(len, self._pending))

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def close(self) -> None:
        # What was written before close() goes out first, as with a plain transport.
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol writing through a `_CorkedTransport`; pass as uvicorn's `http=`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CorkedTransport(transport, self.loop))  # type: ignore[arg-type]

    def handle_websocket_upgrade(self) -> None:
        corked = self.transport
        if isinstance(corked, _CorkedTransport):
            corked.flush()
            self.transport = corked.transport
        super().handle_websocket_upgrade()


# uvicorn's `http=` as an import string: the config travels to spawned workers.
HTTP_PROTOCOL = f"{__name__}:{CorkedHttpToolsProtocol.__qualname__}"
