"""Many streams' pages in one read (app.events.read_after_many): each cursor gets exactly its own user's
events after it, oldest first, at most a page, with the payload and time the stream delivers; and
streams woken at once read together, each still getting exactly its own events."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from tortoise.transactions import in_transaction

from app import events
from tests.support import flows
from tests.support.server import RunningServer
from tests.support.wallet_flows import db_id
from tests.support.ws import WsClient


async def test_each_cursor_gets_its_own_users_events_after_it_in_order(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    people = [await flows.register(new_client(), sms_sink, name=f"Reader {n}") for n in range(3)]
    a, b, c = (db_id(p.user_id) for p in people)
    written: dict[int, list[int]] = {a: [], b: [], c: []}
    for n in range(5):
        async with in_transaction():
            for uid in (a, b) if n % 2 else (a, b, c):
                (e,) = await events.record([uid], "transfer.state_changed",
                                           {"transferId": f"t{uid}-{n}", "state": "COMPLETED"})
                written[uid].append(e.id)
    heads = {uid: await events.stream_head(uid) for uid in (a, b, c)}
    assert [heads[u] for u in (a, b, c)] == [written[a][-1], written[b][-1], written[c][-1]]

    cursors = [(a, written[a][0]), (b, 0), (c, written[c][-1]), (a, written[a][0])]
    pages = await events.read_after_many(cursors, 3)
    assert [[e.id for e in p] for p in pages] == [written[a][1:4], written[b][:3], [], written[a][1:4]]
    first = pages[0][0]
    assert (first.user_id, first.kind) == (a, "transfer.state_changed")
    assert first.payload == {"transferId": f"t{a}-1", "state": "COMPLETED"}
    assert first.created_at.tzinfo is not None
    # the same as reading each stream alone
    alone = await events.read_after(a, written[a][0], 3)
    assert [(e.id, e.kind, e.payload) for e in alone] == [(s.id, s.kind, s.payload) for s in pages[0]]
    assert await events.read_after_many([], 3) == []


async def test_streams_woken_by_one_burst_read_together_and_each_get_exactly_their_own(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink, monkeypatch: pytest.MonkeyPatch) -> None:
    people = [await flows.register(new_client(), sms_sink, name=f"Burst {n}") for n in range(6)]
    ids = {db_id(p.user_id) for p in people}
    asked: list[set[int]] = []
    read_many = events.read_after_many

    async def recording(cursors: Sequence[tuple[int, int]], limit: int) -> list[list[events.Stored]]:
        asked.append({uid for uid, _ in cursors} & ids)
        return await read_many(cursors, limit)

    monkeypatch.setattr(events, "read_after_many", recording)
    sockets = [await WsClient.connect(server.ws_url, p.token) for p in people]
    try:
        ops = [await ws.subscribe_events() for ws in sockets]
        await asyncio.sleep(0.3)  # every stream past its first read, waiting for a doorbell
        asked.clear()
        # one transaction writes an event for each of them: the relay claims them as one batch and
        # rings the six doorbells at once
        async with in_transaction():
            for n, p in enumerate(people):
                await events.record([db_id(p.user_id)], "transfer.state_changed",
                                    {"transferId": f"burst-{n}", "state": "COMPLETED"})
        for n, (ws, op) in enumerate(zip(sockets, ops, strict=True)):
            (got,) = await ws.take(op, 1)
            assert (got["__typename"], got["transferId"]) == ("TransferStateEvent", f"burst-{n}")
        for ws, op in zip(sockets, ops, strict=True):
            assert await ws.quiet(op, 0.2) == []
        # not one read per stream: streams woken together read together (how many share a read depends
        # on how the doorbells arrive; the periodic reads come in slots of their own)
        assert max(len(a) for a in asked) > 1, asked
    finally:
        for ws in sockets:
            await ws.close()
