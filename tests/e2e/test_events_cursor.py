"""`me { eventsCursor }`: subscribing after it gives exactly what happened after the read."""

from __future__ import annotations

from tests.support import chat, flows
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.ws import WsClient


async def test_subscribing_after_the_events_cursor_replays_only_what_came_after_it(
        server: RunningServer, new_client: object, sms_sink: SmsSink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")  # type: ignore[operator]
    bob = await flows.register(new_client(), sms_sink, name="Bob")  # type: ignore[operator]
    conversation = await chat.start(bob, alice)
    await chat.send(bob, conversation["id"], "before the read")

    # When Alice reads her cursor with her state, and Bob writes again before she subscribes
    cursor = (await alice.client.gql("{ me { eventsCursor } }"))["me"]["eventsCursor"]
    await chat.send(bob, conversation["id"], "after the read")
    ws = await WsClient.connect(server.ws_url, alice.token)
    try:
        op = await ws.subscribe_events(after=cursor)
        events = await ws.take(op, 1)

        # Then she gets the later message, not the earlier one, and nothing else
        assert [e["message"]["text"] for e in events] == ["after the read"]
        assert int(events[0]["cursor"]) > int(cursor)
        assert await ws.quiet(op) == []
    finally:
        await ws.close()


async def test_a_list_cursor_is_refused_as_a_stream_cursor(server: RunningServer, new_client: object,
                                                           sms_sink: SmsSink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")  # type: ignore[operator]
    conversation = await chat.start(alice, await flows.register(new_client(), sms_sink))  # type: ignore[operator]
    await chat.send(alice, conversation["id"], "hello")
    page = await chat.conversation(alice, conversation["id"], last=1)
    assert page is not None
    list_cursor = page["messages"]["edges"][0]["cursor"]
    ws = await WsClient.connect(server.ws_url, alice.token)
    try:
        op = await ws.subscribe_events(after=list_cursor)
        refused = await ws.next(op)
        assert refused["type"] == "next"
        assert refused["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in refused["payload"]["errors"]] == ["CURSOR_INVALID"]
        assert (await ws.next(op))["type"] == "complete"
    finally:
        await ws.close()
