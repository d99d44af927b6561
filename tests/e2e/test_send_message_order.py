"""Concurrent messages to one group: each member's stream hears them in the order they were numbered.

On PostgreSQL a message is one autocommit statement that takes every member's stream lock before it
inserts the message and its events, so for every member the message.added events (the stream cursor)
come in the same order as the message ids, and each member hears each message exactly once."""

from __future__ import annotations

import asyncio

from models import Event
from tests.support import chat, flows
from tests.support import wallet_flows as wf


async def test_concurrent_group_messages_reach_every_stream_in_message_order(  # type: ignore[no-untyped-def]
        server, new_client, sms_sink) -> None:
    people = [await flows.register(new_client(), sms_sink, name=f"G{n}") for n in range(5)]
    group = await chat.start(people[0], *people[1:], title="busy")
    sent = await asyncio.gather(*(chat.send(people[n % 5], group["id"], f"m{n}") for n in range(20)))
    message_ids = {wf.db_id(m["id"]) for m in sent}
    assert len(message_ids) == 20
    for person in people:
        heard = [e.payload["messageId"] for e in await Event.filter(
            user_id=wf.db_id(person.user_id), kind="message.added").order_by("id")
            if e.payload["messageId"] in message_ids]
        assert heard == sorted(message_ids), (person.user_id, heard)
