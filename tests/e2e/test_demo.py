"""`imwallet demo`: two ready users and their chats and money, made through the real services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from app.settings import Settings
from tests.support import databases
from tests.support.client import GraphQLClient
from tests.support.embedded import EmbeddedServer, embedded_server, run_demo_command

pytestmark = pytest.mark.skipif(databases.backend() == "postgres",
                                reason="the embedded-default scenario (SQLite, one process): runs in the sqlite pass")

STATE = """{
  me {
    displayName phone identity { realNameMasked } walletRequirements { name }
    wallet { balance { amount currency } transactions(first: 5) { edges { node { kind amount { amount } memo } } } }
    cards { brand last4 status }
  }
  conversations(first: 5) { edges { node { kind title messages(last: 10) { edges { node { kind text } } } } } }
}"""


@pytest_asyncio.fixture
async def embedded(settings: Settings, tmp_path: Path) -> AsyncIterator[EmbeddedServer]:
    async with embedded_server(settings, tmp_path) as running:
        yield running


async def state_of(server: EmbeddedServer, token: str) -> dict[str, object]:
    client = GraphQLClient(server.base_url, token=token)
    try:
        return await client.gql(STATE)
    finally:
        await client.aclose()


async def test_demo_makes_two_ready_users_with_chats_a_transfer_and_a_request(
        embedded: EmbeddedServer) -> None:
    # When a developer runs the demo on a fresh database
    demo = await run_demo_command(embedded)
    output, ids, (alice_token, bob_token) = demo.output, demo.ids, demo.tokens

    # Then it says how to sign in, and both users are ready to pay
    assert output.startswith("Demo users created.")
    assert f'{{"Authorization": "Bearer {alice_token}"}}' in output
    assert sorted(ids) == ["directConversationId", "groupConversationId", "requestId", "transferId"]
    alice = await state_of(embedded, alice_token)
    assert alice["me"] == {
        "displayName": "Alice", "phone": "+8613800138000", "identity": {"realNameMasked": "**明"},
        "walletRequirements": [],
        "wallet": {"balance": {"amount": "487.66", "currency": "CNY"}, "transactions": {"edges": [
            {"node": {"kind": "SENT", "amount": {"amount": "-12.34"}, "memo": "lunch"}},
            {"node": {"kind": "TOP_UP", "amount": {"amount": "500.00"}, "memo": ""}}]}},
        "cards": [{"brand": "VISA", "last4": "4242", "status": "ACTIVE"}]}
    conversations = [e["node"] for e in alice["conversations"]["edges"]]  # type: ignore[index]
    assert [(c["kind"], c["title"]) for c in conversations] == [("GROUP", "Weekend trip"), ("DIRECT", "")]
    group, direct = ([(m["node"]["kind"], m["node"]["text"]) for m in c["messages"]["edges"]] for c in conversations)
    assert group[1:] == [("TEXT", "Who books the train tickets?"), ("TEXT", "I did. 25 each, please."),
                         ("REQUEST", None)]
    assert direct == [("TEXT", "Hi Bob! Lunch tomorrow?"), ("TEXT", "Sure, 12:30 at the noodle place."),
                      ("TEXT", "I'll pay you back for last time."), ("TRANSFER", None)]
    bob = await state_of(embedded, bob_token)
    assert bob["me"]["wallet"]["balance"] == {"amount": "212.34", "currency": "CNY"}  # type: ignore[index]
    assert demo.seconds < 60

    # And run again, it signs the same users in instead of making them twice
    again = await run_demo_command(embedded)
    assert again.output.startswith("Demo users exist already: signed in again.")
    assert again.ids == {}
    again_alice = await state_of(embedded, again.tokens[0])
    assert again_alice["me"] == alice["me"]
