"""A subscriber without a cursor starts at the head of its own stream, not at the global maximum id.

Event ids come from one sequence, so another user's event can carry a higher id than one of ours
that is still being committed. Starting from the global maximum skipped that event for ever.
"""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from app import events
from models import Event
from tests.support import chat, flows
from tests.support.server import RunningServer
from tests.support.wallet_flows import db_id
from tests.support.ws import WsClient


@pytest.mark.postgres
async def test_own_event_with_a_lower_id_committing_later_is_delivered(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    carol = await flows.register(new_client(), sms_sink, name="Carol")
    conv = await chat.start(bob, carol)
    numbered, release = asyncio.Event(), asyncio.Event()
    held: list[Event] = []

    async def slow_writer() -> None:
        # A movement for Alice that has numbered its event and not yet committed (holding her stream lock).
        async with in_transaction():
            held.extend(await events.record([db_id(alice.user_id)], "transfer.state_changed",
                                            {"transferId": "VHJhbnNmZXI6MQ==", "state": "COMPLETED",
                                             "at": "2026-01-01T00:00:00+00:00"}))
            numbered.set()
            await release.wait()

    writer = asyncio.create_task(slow_writer())
    await asyncio.wait_for(numbered.wait(), 5)
    await chat.send(bob, conv["id"], "a later id, committed first")
    later = await Event.filter(user_id=db_id(carol.user_id)).order_by("-id").first()
    assert later is not None
    assert later.id > held[0].id

    ws = await WsClient.connect(server.ws_url, alice.token)
    try:
        op = await ws.subscribe_events()
        release.set()
        await writer
        (got,) = await ws.take(op, 1)
        assert got == {"__typename": "TransferStateEvent", "cursor": str(held[0].id),
                       "at": got["at"], "transferId": "VHJhbnNmZXI6MQ==", "state": "COMPLETED"}
        assert await ws.quiet(op, 0.3) == []
    finally:
        await ws.close()
