"""A page of conversations or of messages runs the same SQL statements at any size, on both backends
(issue 7: no query per row). Counted in-process from Tortoise's statement log (tests/support/queries.py);
test_read_statements.py counts the same from PostgreSQL's own log, and test_transfers.py the records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import chat, flows, queries
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

HISTORY = """query($id: ID!, $last: Int) { conversation(id: $id) { messages(last: $last) {
  edges { node { id kind text createdAt author { id displayName } } } pageInfo { hasPreviousPage } } } }"""


async def _count(client: GraphQLClient, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with queries.statements() as run:
        data = await client.gql(query, variables)
    return len(run), data


async def test_conversation_and_message_pages_cost_the_same_statements_at_any_size(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await flows.register(client, sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    direct = await chat.start(alice, bob)
    for n in range(6):  # both authors on every page
        await chat.send(alice, direct["id"], f"a{n}")
        await chat.send(bob, direct["id"], f"b{n}")
    for n in range(6):
        friend = await flows.register(new_client(), sms_sink, name=f"Friend {n}")
        conversation = await chat.start(alice, friend)
        await chat.send(friend, conversation["id"], f"hello {n}")
    await _count(alice.client, chat.CONVERSATIONS, {"first": 1})  # the session's first use is warm now

    small, two = await _count(alice.client, chat.CONVERSATIONS, {"first": 2})
    large, seven = await _count(alice.client, chat.CONVERSATIONS, {"first": 7})
    assert len(two["conversations"]["edges"]) == 2
    assert len(seven["conversations"]["edges"]) == 7
    # each sender has read up to their own message: one unread everywhere
    assert [e["node"]["unreadCount"] for e in seven["conversations"]["edges"]] == [1] * 7
    assert large <= small + 1, (small, large)  # a loader batch may split over two ticks; a query per row: +5

    small, few = await _count(alice.client, HISTORY, {"id": direct["id"], "last": 2})
    large, many = await _count(alice.client, HISTORY, {"id": direct["id"], "last": 12})
    edges = many["conversation"]["messages"]["edges"]
    assert [e["node"]["text"] for e in few["conversation"]["messages"]["edges"]] == ["a5", "b5"]
    assert [(e["node"]["text"], e["node"]["author"]["displayName"]) for e in edges[:2]] == [
        ("a0", "Alice"), ("b0", "Bob")]
    assert large <= small + 1, (small, large)
