"""Support tickets: a user asks about one transfer; an agent (made by the CLI) sees that and nothing else."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from tests.support import chat, flows, wallet_flows
from tests.support.server import RunningServer
from tests.support.ws import WsClient

OPEN_TICKET = """mutation($input: OpenSupportTicketInput!) { openSupportTicket(input: $input) {
  __typename ... on SupportTicketSuccess { ticket { id status conversationId } conversation { id kind } }
  ... on Error { code message } } }"""

TICKET_FIELDS = """id status conversationId user { id displayName }
  transfer { transferId kind state amount { amount currency } memo payer { id } payee { id } failureReason }"""

QUEUE = f"""query($after: String) {{ supportQueue(first: 50, after: $after) {{
  edges {{ node {{ {TICKET_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""

NODE = f"query($id: ID!) {{ node(id: $id) {{ id ... on SupportTicket {{ {TICKET_FIELDS} }} }} }}"

PEEK = """query($transfer: ID!, $conversation: ID!) { transfer(id: $transfer) { id }
  node(id: $transfer) { id } conversation(id: $conversation) { id } wallet { balance { amount } }
  conversations(first: 50) { edges { node { id } } } }"""


def make_agent(server: RunningServer, phone: str) -> tuple[int, str]:
    """`imwallet create-support-agent --phone`, as an operator runs it against the server's database."""
    env = {**os.environ, "DATABASE_URL": server.settings.database_url, "IMWALLET_ENV": "test"}
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "imwallet"), "create-support-agent",
                           "--phone", phone], env=env, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout.strip().splitlines()[-1]


async def open_ticket(account: flows.Account, transfer_id: str, text: str) -> dict[str, object]:
    return await account.client.mutate("openSupportTicket", OPEN_TICKET, {"input": {
        "transferId": transfer_id, "text": text}})


async def whole_queue(agent: flows.Account) -> list[dict[str, object]]:
    tickets, after = [], None
    while True:
        page = (await agent.client.gql(QUEUE, {"after": after}))["supportQueue"]
        tickets += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return tickets
        after = page["pageInfo"]["endCursor"]


async def test_an_agent_sees_the_ticket_and_its_transfer_and_nothing_else(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    agent = await flows.register(new_client(), sms_sink, name="Agent")
    assert make_agent(server, agent.phone) == (0, f"{agent.phone} (Agent) is now a support agent")
    first = await wallet_flows.send(alice, bob, amount="7.50", memo="rent share")
    other = await wallet_flows.send(alice, bob, amount="1.00", memo="coffee")
    direct = await chat.start(alice.account, bob.account)
    await chat.send(alice.account, direct["id"], "private words")

    opened = await open_ticket(alice.account, first["transfer"]["id"], "Bob says he never got it")
    assert opened["__typename"] == "SupportTicketSuccess", opened
    ticket = opened["ticket"]
    assert (ticket["status"], opened["conversation"]["kind"]) == ("OPEN", "SUPPORT")  # type: ignore[index]
    queued = [t for t in await whole_queue(agent) if t["id"] == ticket["id"]]  # type: ignore[index]
    assert queued == [{
        "id": ticket["id"], "status": "OPEN", "conversationId": ticket["conversationId"],  # type: ignore[index]
        "user": {"id": alice.user_id, "displayName": "Alice"},
        "transfer": {"transferId": first["transfer"]["id"], "kind": "P2P", "state": "COMPLETED",
                     "amount": {"amount": "7.50", "currency": "CNY"}, "memo": "rent share",
                     "payer": {"id": alice.user_id}, "payee": {"id": bob.user_id}, "failureReason": None}}]

    # nothing else of Alice's: not her other transfer, her wallet, or her direct conversation
    peek = await agent.client.gql(PEEK, {"transfer": other["transfer"]["id"], "conversation": direct["id"]})
    assert peek == {"transfer": None, "node": None, "conversation": None, "wallet": None,
                    "conversations": {"edges": []}}
    peek_first = await agent.client.gql(PEEK, {"transfer": first["transfer"]["id"], "conversation": direct["id"]})
    assert (peek_first["transfer"], peek_first["node"]) == (None, None)  # only through the ticket

    alice_ws = await WsClient.connect(server.ws_url, alice.account.token)
    try:
        op = await alice_ws.subscribe_events(field="messages", conversation_id=ticket["conversationId"])  # type: ignore[index]
        reply = await chat.send(agent, ticket["conversationId"], "We are looking into it")  # type: ignore[index]
        (event,) = await alice_ws.take(op, 1)
        assert (event["change"], event["message"]["id"], event["message"]["text"]) == (
            "ADDED", reply["id"], "We are looking into it")
        assert event["message"]["author"] == {"id": agent.user_id, "displayName": "Agent"}
    finally:
        await alice_ws.close()
    thread = await chat.conversation(alice.account, ticket["conversationId"], last=5)  # type: ignore[index]
    assert thread is not None
    assert [e["node"]["text"] for e in thread["messages"]["edges"]] == [
        "Bob says he never got it", "We are looking into it"]


async def test_a_ticket_is_missing_for_everyone_but_its_user_and_agents(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "20.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    carol = await wallet_flows.funded_user(new_client(), sms_sink, "20.00", name="Carol")
    stranger = await flows.register(new_client(), sms_sink, name="Stranger")
    paid = await wallet_flows.send(alice, bob, amount="2.00")
    carols = await wallet_flows.send(carol, alice, amount="3.00")
    opened = await open_ticket(alice.account, paid["transfer"]["id"], "wrong amount")
    ticket = opened["ticket"]
    missing = base64.b64encode(b"SupportTicket:987654321").decode()

    assert (await alice.client.gql(NODE, {"id": ticket["id"]}))["node"]["id"] == ticket["id"]  # type: ignore[index]
    for outsider in (bob.account, stranger):
        for asked in (ticket["id"], missing):  # type: ignore[index]
            assert await outsider.client.gql(NODE, {"id": asked}) == {"node": None}
        assert await chat.conversation(outsider, ticket["conversationId"]) is None  # type: ignore[index]

    # a ticket about someone else's transfer: exactly as for a transfer that does not exist
    foreign = await open_ticket(bob.account, carols["transfer"]["id"], "not mine")
    absent = await open_ticket(bob.account, base64.b64encode(b"Transfer:987654321").decode(), "not mine")
    assert foreign == absent
    assert (foreign["__typename"], foreign["code"]) == ("NotFoundError", "NOT_FOUND")
    assert (await bob.client.gql("{ conversations(first: 50) { edges { node { kind } } } }"))[
        "conversations"]["edges"] == [{"node": {"kind": "DIRECT"}}]
