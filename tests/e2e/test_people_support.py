"""A support ticket's whole life: open, assign, reply both ways, resolve, reopen (within 7 days only),
with the user and the agent each seeing what they should."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.e2e.test_support import make_agent, open_ticket
from tests.support import chat, flows, wallet_flows
from tests.support.server import RunningServer
from tests.support.ws import WsClient

TICKET = "ticket { id status assignee { id } resolution resolvedAt reopenableUntil }"
_ERR = "... on Error { code message }"


def _m(name: str, input_type: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename "
            f"... on TicketSuccess {{ {TICKET} }} {_ERR} }} }}")


ASSIGN, REPLY = _m("assignTicket", "TicketRefInput"), _m("replyToTicket", "ReplyToTicketInput")
RESOLVE, REOPEN = _m("resolveTicket", "ResolveTicketInput"), _m("reopenTicket", "TicketRefInput")
QUEUE = """query($states: [TicketStatus!], $waiting: Int) { supportQueue(first: 100, states: $states,
  waitingSeconds: $waiting) { edges { node { id status } } } }"""
CASE = """query($id: ID!) { ticketCase(ticketId: $id) { transfer { transferId state amount { amount } }
  journal { kind entries { accountKind users amount { amount } } } records { transferId kind amount { amount } } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on SupportTicket { status resolution } } }"


async def _queued(agent: flows.Account, ticket_id: str, **filters: Any) -> list[str]:
    edges = (await agent.client.gql(QUEUE, filters))["supportQueue"]["edges"]
    return [e["node"]["status"] for e in edges if e["node"]["id"] == ticket_id]


async def _notices(account: flows.Account, conversation_id: str) -> list[str]:
    thread = await chat.conversation(account, conversation_id, last=50)
    assert thread is not None
    return [e["node"]["text"] for e in thread["messages"]["edges"]]


async def test_a_ticket_from_open_to_resolved_and_reopened(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    agent = await flows.register(new_client(), sms_sink, name="Agent")
    assert make_agent(server, agent.phone)[0] == 0
    paid = await wallet_flows.send(alice, bob, amount="7.50", memo="rent")
    later = await wallet_flows.send(alice, bob, amount="1.25")
    opened = await open_ticket(alice.account, paid["transfer"]["id"], "Bob did not get it")
    tid, cid = opened["ticket"]["id"], opened["ticket"]["conversationId"]  # type: ignore[index]

    assert await _queued(agent, tid) == ["OPEN"]
    assert await _queued(agent, tid, states=["WAITING_FOR_USER"]) == []
    assert await _queued(agent, tid, waiting=3600) == []  # not waiting an hour yet
    # what the agent sees: the transfer, its journal, Alice's records around it; Bob sees nothing
    case = (await agent.client.gql(CASE, {"id": tid}))["ticketCase"]
    assert case["transfer"] == {"transferId": paid["transfer"]["id"], "state": "COMPLETED",
                                "amount": {"amount": "7.50"}}
    assert case["journal"] == [{"kind": "TRANSFER", "entries": [
        {"accountKind": "USER_WALLET", "users": True, "amount": {"amount": "-7.50"}},
        {"accountKind": "USER_WALLET", "users": False, "amount": {"amount": "7.50"}}]}]
    assert [(r["kind"], r["amount"]["amount"]) for r in case["records"]] == [
        ("TOP_UP", "100.00"), ("P2P", "7.50"), ("P2P", "1.25")]
    assert case["records"][2]["transferId"] == later["transfer"]["id"]
    assert (await bob.client.gql(CASE, {"id": tid}))["ticketCase"] is None

    ws = await WsClient.connect(server.ws_url, alice.account.token)
    try:
        op = await ws.subscribe("subscription { events { __typename ... on TicketEvent { ticketId status } } }")
        assigned = await agent.client.mutate("assignTicket", ASSIGN, {"input": {"ticketId": tid}})
        assert assigned["ticket"]["assignee"] == {"id": agent.user_id}
        replied = await agent.client.mutate("replyToTicket", REPLY, {"input": {
            "ticketId": tid, "text": "It is with Bob's wallet since 10:02."}})
        assert replied["ticket"]["status"] == "WAITING_FOR_USER"
        events = [e for e in await ws.take(op, 4) if e["__typename"] == "TicketEvent"]  # and three messages
        assert events == [{"__typename": "TicketEvent", "ticketId": tid, "status": "WAITING_FOR_USER"}]
    finally:
        await ws.close()
    answered = await alice.client.mutate("replyToTicket", REPLY, {"input": {"ticketId": tid,
                                                                          "text": "He checked again"}})
    assert answered["ticket"]["status"] == "WAITING_FOR_AGENT"
    assert await _queued(agent, tid, states=["WAITING_FOR_AGENT"]) == ["WAITING_FOR_AGENT"]

    # only agents resolve; then it leaves the queue and Alice reads the resolution in her thread
    refused = await alice.client.mutate("resolveTicket", RESOLVE, {"input": {"ticketId": tid, "resolution": "x"}})
    assert refused["code"] == "NOT_FOUND"
    resolved = await agent.client.mutate("resolveTicket", RESOLVE, {"input": {
        "ticketId": tid, "resolution": "Delivered to Bob; he had looked at an old balance."}})
    assert resolved["ticket"]["status"] == "RESOLVED"
    assert resolved["ticket"]["resolution"] == "Delivered to Bob; he had looked at an old balance."
    assert await _queued(agent, tid) == []
    assert (await alice.client.gql(NODE, {"id": tid}))["node"] == {
        "status": "RESOLVED", "resolution": "Delivered to Bob; he had looked at an old balance."}
    assert await _notices(alice.account, cid) == [
        "Bob did not get it", "Agent from support is looking after this.", "It is with Bob's wallet since 10:02.",
        "Support answered: waiting for you.", "He checked again", "Waiting for support.",
        "Resolved: Delivered to Bob; he had looked at an old balance."]
    closed = await alice.client.mutate("replyToTicket", REPLY, {"input": {"ticketId": tid, "text": "more"}})
    assert closed["__typename"] == "InvalidInputError"

    # the user reopens (an agent cannot); it waits for an agent again and is back in the queue
    assert (await agent.client.mutate("reopenTicket", REOPEN, {"input": {"ticketId": tid}}))["code"] == "NOT_FOUND"
    reopened = await alice.client.mutate("reopenTicket", REOPEN, {"input": {"ticketId": tid}})
    assert (reopened["ticket"]["status"], reopened["ticket"]["resolvedAt"]) == ("WAITING_FOR_AGENT", None)
    assert await _queued(agent, tid) == ["WAITING_FOR_AGENT"]
    server.runtime.clock.advance(timedelta(hours=2))
    assert await _queued(agent, tid, waiting=3600) == ["WAITING_FOR_AGENT"]

    # resolved again, and more than 7 days later it can no longer be reopened
    await agent.client.mutate("resolveTicket", RESOLVE, {"input": {"ticketId": tid, "resolution": "Done."}})
    server.runtime.clock.advance(timedelta(days=7, minutes=1))
    late = await alice.client.mutate("reopenTicket", REOPEN, {"input": {"ticketId": tid}})
    assert (late["__typename"], late["code"]) == ("InvalidInputError", "INVALID_INPUT")
    assert (await alice.client.gql(NODE, {"id": tid}))["node"]["status"] == "RESOLVED"
