"""server/http_protocol.py: the writes of one loop turn leave as one write, in order, and close flushes."""

from __future__ import annotations

import asyncio
from typing import Any

from server.http_protocol import _CorkedTransport


class _Socket:
    """Records what reaches the real transport's write(), as the kernel would see send() calls."""

    def __init__(self) -> None:
        self.sends: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.sends.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 8000) if name == "peername" else None


def _corked() -> tuple[_CorkedTransport, _Socket]:
    socket = _Socket()
    return _CorkedTransport(socket, asyncio.get_running_loop()), socket  # type: ignore[arg-type]


async def test_head_and_body_written_in_one_turn_leave_as_one_send() -> None:
    transport, socket = _corked()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(memoryview(b"{}"))
    assert socket.sends == []
    assert transport.get_write_buffer_size() == 40
    await asyncio.sleep(0)
    assert socket.sends == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]


async def test_writes_of_separate_turns_leave_separately_and_in_order() -> None:
    transport, socket = _corked()
    transport.write(b"a")
    await asyncio.sleep(0)
    transport.writelines([b"b", b"c"])
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert socket.sends == [b"a", b"bc"]


async def test_close_sends_what_was_written_first_and_abort_drops_it() -> None:
    transport, socket = _corked()
    transport.write(b"last words")
    transport.close()
    assert (socket.sends, socket.closed) == ([b"last words"], True)
    await asyncio.sleep(0)
    assert socket.sends == [b"last words"]

    transport, socket = _corked()
    transport.write(b"never sent")
    transport.abort()
    await asyncio.sleep(0)
    assert (socket.sends, socket.aborted) == ([], True)


async def test_other_transport_calls_reach_the_real_transport() -> None:
    transport, _ = _corked()
    assert transport.get_extra_info("peername") == ("127.0.0.1", 8000)
