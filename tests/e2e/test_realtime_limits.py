"""The stream's limits: a cursor older than the retention window, and a subscriber that stopped reading."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from datetime import timedelta
from typing import Any

import pytest
import websockets
from tortoise.transactions import in_transaction

from app import events
from models import Event, EventHorizon
from tests.support import chat, flows
from tests.support.server import RunningServer
from tests.support.wallet_flows import db_id
from tests.support.worker_server import worker_server
from tests.support.ws import EVENT_FIELDS, WsClient

SUBSCRIBE_EVENTS = f"subscription($after: String) {{ events(after: $after) {{ {EVENT_FIELDS} }} }}"


async def _all_published(timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if not await Event.filter(published_at__isnull=True).exists():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the relay did not publish the events")


async def test_a_cursor_older_than_the_retention_window_is_refused_as_expired(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    conv = await chat.start(alice, bob)
    ws = await WsClient.connect(server.ws_url, bob.token)
    try:
        live = await ws.subscribe_events()
        await chat.send(alice, conv["id"], "old news")
        (old,) = await ws.take(live, 1)
        await ws.complete(live)
        await chat.send(alice, conv["id"], "missed while away")
        await _all_published()
        # the relay's own pruning with a zero-day window, ended far ahead: events other tests wrote while
        # they had moved the clock forward are gone too, so the oldest event left is newer than `old`
        assert await events.prune(retention_days=0, now=server.runtime.clock.now() + timedelta(days=3650)) >= 2
        assert not await Event.filter(id=int(old["cursor"])).exists()
        fresh = await chat.send(alice, conv["id"], "after the prune")

        expired = await ws.subscribe_events(after=old["cursor"])
        msg = await ws.next(expired)
        assert msg["type"] == "error" or "errors" in msg["payload"], msg
        errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["CURSOR_EXPIRED"]

        resumed = await ws.subscribe_events(after=str(int(old["cursor"]) + 10**9))  # ahead: invalid, not expired
        bad = await ws.next(resumed)
        bad_errors = bad["payload"] if bad["type"] == "error" else bad["payload"]["errors"]
        assert [e["extensions"]["code"] for e in bad_errors] == ["CURSOR_INVALID"]
        again = await ws.subscribe_events()
        await chat.send(bob, conv["id"], "still live")
        (event,) = await ws.take(again, 1)
        assert event["message"]["text"] == "still live"
        assert fresh["text"] == "after the prune"
    finally:
        await ws.close()


class _RolledBack(Exception):
    pass


async def test_a_gap_left_by_a_rolled_back_transaction_is_not_taken_for_pruned_events(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    conv = await chat.start(alice, bob)
    await chat.send(alice, conv["id"], "pruned soon")
    await _all_published()
    assert await events.prune(retention_days=0, now=server.runtime.clock.now() + timedelta(days=3650)) >= 1
    (horizon,) = await EventHorizon.filter(id=1).values_list("pruned_through", flat=True)
    # The next event id is drawn and lost (PostgreSQL's sequences do not roll back), so the oldest
    # event left is two above the newest pruned one. MIN(id) read that gap as pruned events.
    with contextlib.suppress(_RolledBack):
        async with in_transaction():
            await events.record([db_id(bob.user_id)], "transfer.state_changed", {"transferId": "x", "state": "X"})
            raise _RolledBack()
    await chat.send(alice, conv["id"], "after the gap")
    ws = await WsClient.connect(server.ws_url, bob.token)
    try:
        # A client that had read up to the newest pruned event missed nothing: it resumes.
        resumed = await ws.subscribe_events(after=str(horizon))
        (event,) = await ws.take(resumed, 1)
        assert event["message"]["text"] == "after the gap"
        # One below it may have missed the pruned event: expired.
        expired = await ws.subscribe_events(after=str(horizon - 1))
        msg = await ws.next(expired)
        errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["CURSOR_EXPIRED"]
    finally:
        await ws.close()


async def _stalled_socket(url: str, token: str) -> Any:
    """A websocket whose client stops reading after the handshake: tiny kernel buffer, one-frame queue,
    no compression (which would shrink the test's repetitive messages to almost nothing).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock.connect((host, int(port)))
    sock.setblocking(False)
    ws = await websockets.connect(url, sock=sock, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                  max_queue=1, compression=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"type": "subscribe", "id": "stuck",
                              "payload": {"query": SUBSCRIBE_EVENTS, "variables": {}}}))
    return ws


@pytest.mark.postgres  # a second server process: needs Redis for its doorbells and PostgreSQL for two writers
async def test_a_subscriber_that_stops_reading_is_cut_off_and_others_keep_up(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    conv = await chat.start(alice, bob)
    count = 400  # enough doorbells after the stalled socket fills to overflow its queue of 64, even coalesced
    text = "满" * 3990  # 12 kB of UTF-8 per event: a few hundred fill the kernel's socket buffers
    # A second server process with a shorter per-subscriber queue (64 doorbells instead of 256), so
    # that a few hundred events overflow it once the stalled socket's buffers are full.
    async with worker_server(server.settings, workers=1, WS_SUBSCRIBER_QUEUE_SIZE="64") as base_url:
        ws_url = base_url.replace("http://", "ws://") + "/graphql"
        stuck = await _stalled_socket(ws_url, bob.token)
        reader = await WsClient.connect(ws_url, bob.token)
        try:
            op = await reader.subscribe_events()
            started = time.monotonic()
            # One send at a time: each commit then rings its own doorbell. (A sender faster than the relay's
            # round gets its doorbells coalesced, one per round and user, and the stalled subscriber's queue
            # of 64 would not overflow: sendMessage became fast enough for that in issue 7.)
            gate = asyncio.Semaphore(1)

            async def send(n: int) -> None:
                async with gate:
                    await chat.send(alice, conv["id"], f"{n:04d}{text}")

            await asyncio.gather(*(send(n) for n in range(count)))
            got = await reader.take(op, count, timeout=30)
            elapsed = time.monotonic() - started
            assert sorted(e["message"]["text"][:4] for e in got) == [f"{n:04d}" for n in range(count)]
            cursors = [int(e["cursor"]) for e in got]
            assert cursors == sorted(set(cursors))
            print(f"{count} events to the reading subscriber in {elapsed:.1f} s")

            await asyncio.sleep(3.0)  # the server's grace for a subscriber that never came back to read
            delivered: list[dict[str, Any]] = []
            with contextlib.suppress(websockets.ConnectionClosed):
                async with asyncio.timeout(10):
                    async for raw in stuck:
                        delivered.append(json.loads(raw))
            print(f"the stalled client got {len(delivered)} of {count} before the server closed it")
            # The server closed it (a socket still open would have run into the timeout above). It says
            # 1013 in a close frame; when that frame cannot get past the buffers of a client that read
            # nothing for longer than the server's close timeout (a slow machine sending the 400), the
            # server aborts the connection instead, which the client sees as 1006.
            assert (stuck.close_code, stuck.close_reason) in ((1013, "lagged: resume with after"), (1006, ""))
            assert 0 < len(delivered) < count
            assert {m["type"] for m in delivered} == {"next"}

            # 1013 is "try again later": the client resumes from its last cursor and misses nothing
            last = delivered[-1]["payload"]["data"]["events"]["cursor"]
            again = await WsClient.connect(ws_url, bob.token)
            try:
                resumed = await again.take(await again.subscribe_events(after=last), count - len(delivered))
                texts = [m["payload"]["data"]["events"]["message"]["text"][:4] for m in delivered]
                texts += [e["message"]["text"][:4] for e in resumed]
                assert sorted(texts) == [f"{n:04d}" for n in range(count)]
            finally:
                await again.close()
        finally:
            await reader.close()
            await stuck.close()
