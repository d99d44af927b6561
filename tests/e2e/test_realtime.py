"""Subscriptions against the real server: replay by cursor, then live; ordering; isolation; limits."""

from __future__ import annotations

import asyncio

from tests.support import chat, flows
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.ws import WsClient


async def _pair(new_client, sms_sink: SmsSink) -> tuple[flows.Account, flows.Account]:  # type: ignore[no-untyped-def]
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    return alice, bob


async def test_a_message_reaches_both_members_subscriptions(server: RunningServer, new_client, sms_sink) -> None:  # type: ignore[no-untyped-def]
    alice, bob = await _pair(new_client, sms_sink)
    conv = await chat.start(alice, bob)
    a_ws = await WsClient.connect(server.ws_url, alice.token)
    b_ws = await WsClient.connect(server.ws_url, bob.token)
    a_op = await a_ws.subscribe_events()
    b_op = await b_ws.subscribe_events(field="messages", conversation_id=conv["id"])
    try:
        sent = await chat.send(alice, conv["id"], "hello Bob")
        (a_event,) = await a_ws.take(a_op, 1)
        (b_event,) = await b_ws.take(b_op, 1)
        for event in (a_event, b_event):
            assert event["__typename"] == "MessageEvent"
            assert event["change"] == "ADDED"
            assert event["conversationId"] == conv["id"]
            assert event["message"]["id"] == sent["id"]
            assert event["message"]["text"] == "hello Bob"
            assert event["message"]["author"] == {"id": alice.user_id, "displayName": "Alice"}
        assert a_event["cursor"] != b_event["cursor"]  # each user has their own stream
    finally:
        await a_ws.close()
        await b_ws.close()


async def test_reconnect_with_cursor_receives_exactly_the_missed_events_then_live(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    conv = await chat.start(alice, bob)
    b_ws = await WsClient.connect(server.ws_url, bob.token)
    op = await b_ws.subscribe_events()
    first = await chat.send(alice, conv["id"], "before the tunnel")
    (seen,) = await b_ws.take(op, 1)
    assert seen["message"]["id"] == first["id"]
    await b_ws.close()
    # while Bob is offline, 50 messages are sent
    missed = [await chat.send(alice, conv["id"], f"missed {i}") for i in range(50)]
    b_ws = await WsClient.connect(server.ws_url, bob.token)
    try:
        op = await b_ws.subscribe_events(after=seen["cursor"])
        replayed = await b_ws.take(op, 50)
        assert [e["message"]["text"] for e in replayed] == [f"missed {i}" for i in range(50)]
        assert [e["message"]["id"] for e in replayed] == [m["id"] for m in missed]
        cursors = [int(e["cursor"]) for e in replayed]
        assert cursors == sorted(cursors)
        assert len(set(cursors)) == 50
        assert cursors[0] > int(seen["cursor"])
        assert await b_ws.quiet(op, 0.3) == []
        live = await chat.send(alice, conv["id"], "welcome back")
        (event,) = await b_ws.take(op, 1)
        assert event["message"]["id"] == live["id"]
        assert int(event["cursor"]) > cursors[-1]
    finally:
        await b_ws.close()


async def test_replay_with_events_committing_during_it_has_no_gap_or_duplicate(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    conv = await chat.start(alice, bob)
    ws = await WsClient.connect(server.ws_url, bob.token)
    op = await ws.subscribe_events()
    await chat.send(alice, conv["id"], "m0")
    (start,) = await ws.take(op, 1)
    await ws.close()
    for i in range(1, 41):
        await chat.send(alice, conv["id"], f"m{i}")
    ws = await WsClient.connect(server.ws_url, bob.token)
    try:
        op = await ws.subscribe("subscription($a: String) { events(after: $a) { cursor "
                                "... on MessageEvent { message { text } } } }", {"a": start["cursor"]})
        sending = asyncio.create_task(_send_many(alice, conv["id"], range(41, 81)))
        got = await ws.take(op, 80, timeout=30)
        await sending
        assert [e["message"]["text"] for e in got] == [f"m{i}" for i in range(1, 81)]
        assert await ws.quiet(op, 0.3) == []
    finally:
        await ws.close()


async def _send_many(account: flows.Account, conversation_id: str, numbers: range) -> None:
    for i in numbers:
        await chat.send(account, conversation_id, f"m{i}")


async def test_subscriptions_need_a_signed_in_connection(server: RunningServer) -> None:
    ws = await WsClient.connect(server.ws_url, None)
    try:
        op = await ws.subscribe("subscription { events { cursor } }")
        msg = await ws.next(op)
        assert msg["type"] == "next"
        assert msg["payload"]["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
        assert (await ws.next(op))["type"] == "complete"
    finally:
        await ws.close()


async def test_a_bad_or_future_cursor_is_refused_clearly(server: RunningServer, new_client, sms_sink) -> None:  # type: ignore[no-untyped-def]
    alice = await flows.register(new_client(), sms_sink)
    ws = await WsClient.connect(server.ws_url, alice.token)
    try:
        for after in ("abc", "99999999999999"):
            op = await ws.subscribe("subscription($a: String) { events(after: $a) { cursor } }", {"a": after})
            msg = await ws.next(op)
            assert msg["payload"]["errors"][0]["extensions"]["code"] == "CURSOR_INVALID"
    finally:
        await ws.close()


async def test_a_revoked_session_loses_its_subscription_within_seconds(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink)
    ws = await WsClient.connect(server.ws_url, alice.token)
    try:
        op = await ws.subscribe_events()
        done = await alice.client.mutate("logout", "mutation { logout { __typename } }")
        assert done["__typename"] == "Done"
        msg = await ws.next(op, timeout=server.settings.session_recheck_seconds + 3)
        assert msg["type"] == "next"
        assert msg["payload"]["errors"][0]["extensions"]["code"] == "SESSION_ENDED"
    finally:
        await ws.close()


async def test_a_stranger_gets_nothing_of_others_conversations(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    eve = await flows.register(new_client(), sms_sink, name="Eve")
    conv = await chat.start(alice, bob)
    ws = await WsClient.connect(server.ws_url, eve.token)
    try:
        all_op = await ws.subscribe_events()
        conv_op = await ws.subscribe_events(field="messages", conversation_id=conv["id"])
        msg = await ws.next(conv_op)
        assert msg["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        await chat.send(alice, conv["id"], "secret")
        assert await ws.quiet(all_op, 1.0) == []
    finally:
        await ws.close()


async def test_typing_is_delivered_live_and_never_replayed(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink, client: GraphQLClient) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    conv = await chat.start(alice, bob)
    ws = await WsClient.connect(server.ws_url, bob.token)
    try:
        op = await ws.subscribe_events(field="messages", conversation_id=conv["id"])
        result = await alice.client.mutate("setTyping", """mutation($input: SetTypingInput!) {
            setTyping(input: $input) { __typename ... on TypingSuccess { expiresAt } } }""",
                                           {"input": {"conversationId": conv["id"]}})
        assert result["__typename"] == "TypingSuccess"
        (event,) = await ws.take(op, 1)
        assert event["__typename"] == "TypingEvent"
        assert event["cursor"] is None
        assert event["typing"] is True
        assert event["user"] == {"id": alice.user_id, "displayName": "Alice"}
        assert event["expiresAt"] == result["expiresAt"]
        replay = await ws.subscribe_events(after="0")
        assert await ws.quiet(replay, 0.5) == []  # nothing stored to replay
    finally:
        await ws.close()
