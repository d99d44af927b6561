"""Many subscribers, many events: each gets exactly its own, in cursor order."""

from __future__ import annotations

import asyncio
import random
import time

from tests.support import chat, flows
from tests.support.server import RunningServer
from tests.support.ws import WsClient

USERS = 20
EVENTS = 1000


async def test_twenty_subscribers_each_get_exactly_their_events_in_order(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    people = [await flows.register(new_client(), sms_sink, name=f"U{i}") for i in range(USERS)]
    rng = random.Random(4)
    pairs = [tuple(rng.sample(range(USERS), 2)) for _ in range(EVENTS)]
    conversations = {}
    for a, b in {tuple(sorted(p)) for p in pairs}:
        conversations[(a, b)] = (await chat.start(people[a], people[b]))["id"]
    sockets = [await WsClient.connect(server.ws_url, p.token) for p in people]
    ops = [await ws.subscribe_events() for ws in sockets]
    expected: dict[int, list[str]] = {i: [] for i in range(USERS)}
    gate = asyncio.Semaphore(16)

    async def send(n: int, author: int, other: int) -> None:
        async with gate:
            await chat.send(people[author], conversations[tuple(sorted((author, other)))], f"e{n}")

    started = time.monotonic()
    try:
        await asyncio.gather(*(send(n, a, b) for n, (a, b) in enumerate(pairs)))
        for n, (a, b) in enumerate(pairs):
            expected[a].append(f"e{n}")
            expected[b].append(f"e{n}")
        for i, (ws, op) in enumerate(zip(sockets, ops, strict=True)):
            got = await ws.take(op, len(expected[i]), timeout=30)
            cursors = [int(e["cursor"]) for e in got]
            assert cursors == sorted(set(cursors))
            assert sorted(e["message"]["text"] for e in got) == sorted(expected[i])
            assert await ws.quiet(op, 0.05) == []
        elapsed = time.monotonic() - started
        print(f"{EVENTS} messages to {USERS} subscribers delivered in {elapsed:.1f} s")
    finally:
        for ws in sockets:
            await ws.close()
