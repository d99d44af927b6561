"""The HTTP wire as a raw client sees it: 100-continue, pipelining, HEAD.

The server writes through server/http_protocol.py, which joins the writes of one loop turn; these are
the behaviours that joining could break (a held `100 Continue` would hang the client). That one turn's
writes leave as one is tests/unit/test_http_protocol.py's.
"""

from __future__ import annotations

import asyncio
import json

from tests.support.server import RunningServer

TYPENAME = json.dumps({"query": "{ __typename }"}).encode()


def _post(body: bytes, *extra: str) -> bytes:
    head = ["POST /graphql HTTP/1.1", "host: 127.0.0.1", "content-type: application/json",
            f"content-length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


async def _response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return head, await asyncio.wait_for(reader.readexactly(length), 10)


async def test_expect_100_continue_is_answered_before_the_body_is_sent(server: RunningServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(_post(TYPENAME, "expect: 100-continue"))
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(TYPENAME)
        head, body = await _response(reader)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert json.loads(body) == {"data": {"__typename": "Query"}}
    finally:
        writer.close()


async def test_pipelined_requests_and_head_are_answered_in_order_on_one_connection(server: RunningServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        other = json.dumps({"query": "{ a: __typename }"}).encode()
        writer.write(_post(TYPENAME) + TYPENAME + _post(other) + other)
        assert json.loads((await _response(reader))[1]) == {"data": {"__typename": "Query"}}
        assert json.loads((await _response(reader))[1]) == {"data": {"a": "Query"}}
        writer.write(b"HEAD /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200 ")
        # HEAD has no body: the next bytes on the connection belong to the next response.
        writer.write(_post(TYPENAME) + TYPENAME)
        assert json.loads((await _response(reader))[1]) == {"data": {"__typename": "Query"}}
    finally:
        writer.close()
