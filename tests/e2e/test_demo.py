"""`imwallet demo`: two ready users and their chats and money, made through the real services."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from server.cli import apply_migrations
from tests.conftest import make_settings
from tests.e2e.test_graphiql_browser import run_demo_command
from tests.support import databases
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer, start_server
from tests.support.sinks import MailSink, SmsSink

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
async def embedded_server(tmp_path: Path, mail_sink: MailSink, sms_sink: SmsSink,
                          redis_namespace: str) -> AsyncIterator[RunningServer]:
    settings = make_settings(databases.sqlite_url(tmp_path), mail_sink, sms_sink, redis_namespace, redis_url=None)
    await apply_migrations(settings)
    running = await start_server(settings)
    yield running
    await running.stop()


def tokens_of(output: str) -> list[str]:
    return re.findall(r"#token=(\S+)", output)


async def state_of(server: RunningServer, token: str) -> dict[str, object]:
    client = GraphQLClient(server.base_url, token=token)
    try:
        return await client.gql(STATE)
    finally:
        await client.aclose()


async def test_demo_makes_two_ready_users_with_chats_a_transfer_and_a_request(
        embedded_server: RunningServer) -> None:
    # When a developer runs the demo on a fresh database
    output, ids, seconds = await run_demo_command(embedded_server)
    alice_token, bob_token = tokens_of(output)

    # Then it says how to sign in, and both users are ready to pay
    assert output.startswith("Demo users created.")
    assert f'{{"Authorization": "Bearer {alice_token}"}}' in output
    assert sorted(ids) == ["directConversationId", "groupConversationId", "requestId", "transferId"]
    alice = await state_of(embedded_server, alice_token)
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
    bob = await state_of(embedded_server, bob_token)
    assert bob["me"]["wallet"]["balance"] == {"amount": "212.34", "currency": "CNY"}  # type: ignore[index]
    assert seconds < 60

    # And run again, it signs the same users in instead of making them twice
    again, again_ids, _ = await run_demo_command(embedded_server)
    assert again.startswith("Demo users exist already: signed in again.")
    assert again_ids == {}
    again_alice = await state_of(embedded_server, tokens_of(again)[0])
    assert again_alice["me"] == alice["me"]
