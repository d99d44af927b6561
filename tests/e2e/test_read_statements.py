"""Pages cost a fixed number of SQL statements, whatever their size (issue 7: DataLoaders, no N+1).

Counted from PostgreSQL's own statement log (tests/support/statement_log.py) for a page of
conversations, a page of messages (texts, transfers, requests) and a page of wallet transactions,
each read at two page sizes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tortoise import connections

from app.settings import Settings
from tests.support import chat, flows
from tests.support import money_requests as requests
from tests.support import statement_log as log
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

pytestmark = pytest.mark.postgres

RECORDS = """query($first: Int!) { wallet { balance { amount } transactions(first: $first) {
  edges { node { kind amount { amount } balanceAfter { amount } memo counterparty { displayName }
                 transfer { id state parties { displayName } } } } } } }"""


def _counted(statements: list[log.Statement]) -> int:
    """Queries the read sent: not asyncpg's pool reset after each checkout (one per query outside a
    transaction), not its one-time type introspection."""
    return sum(1 for s in statements if not re.search(r"pg_advisory_unlock_all|typeinfo_tree|'jit'", s.sql))


BACKGROUND = re.compile(r'published_at"? IS NULL|outbound_messages|outside_calls|push_deliveries|push_feed'
                        r'|FROM "events" WHERE "kind"|FROM "red_packets"|FROM "pending_transfers"'
                        r'|FROM "merchant_orders"|merchant_notifications')


async def _statements(database: str, read: Callable[[], Awaitable[Any]]) -> int:
    await read()  # warm: this connection's statements prepared, its types introspected
    await asyncio.sleep(0.2)
    start = log.offset()
    await read()
    await asyncio.sleep(0.3)
    statements = log.read(start, await log.backends_of(database))
    # the background workers' rounds (relay, mail, reconciler, push feed and dispatcher, sweeper) are
    # whole transactions of their own
    kept: list[log.Statement] = []
    for group in log.transactions(statements):
        if any(BACKGROUND.search(s.sql) for s in group):
            continue
        if group[0].sql.strip().rstrip(";").upper() in ("COMMIT", "ROLLBACK"):
            continue  # the end of a transaction that began before `start`
        if log.cut_off(group):
            continue  # a background round cut off by the window's end: the read itself was awaited
        kept.extend(group)
    return _counted(kept)


async def test_pages_cost_the_same_statements_at_any_size(
        settings: Settings, client: GraphQLClient, new_client: Callable[..., GraphQLClient],
        sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "500.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    direct = await chat.start(alice.account, bob.account)
    for n in range(5):  # every page of the last 3 or 11 mixes the three kinds
        assert (await wf.send(alice, bob, amount=f"{n + 1}.00", memo=f"m{n}"))["__typename"] == "TransferSuccess"
        await chat.send(bob.account, direct["id"], f"thanks {n}")
        await requests.ask(bob.account, direct["id"], f"{n + 1}.50", "again")
    for n in range(12):  # newer than the direct one: both conversation pages hold friends only
        other = await flows.register(new_client(), sms_sink, name=f"Friend {n}")
        conversation = await chat.start(alice.account, other)
        await chat.send(other, conversation["id"], f"hello {n}")

    database = log.database_of(settings.database_url)
    await log.set_logging(database, True)
    try:
        await connections.get("default")._expire_connections()
        counts = {}
        for size in (3, 11):
            counts[("conversations", size)] = await _statements(
                database, lambda size=size: alice.client.gql(chat.CONVERSATIONS, {"first": size}))
            counts[("messages", size)] = await _statements(
                database, lambda size=size: chat.conversation(alice.account, direct["id"], last=size))
            counts[("transactions", size)] = await _statements(
                database, lambda size=size: alice.client.gql(RECORDS, {"first": size}))
    finally:
        await log.set_logging(database, False)
    page = await chat.conversation(alice.account, direct["id"], last=11)
    assert page is not None
    assert len(page["messages"]["edges"]) == 11
    assert {e["node"]["kind"] for e in page["messages"]["edges"]} == {"TEXT", "TRANSFER", "REQUEST"}
    # A DataLoader dispatches what one event-loop tick collected: the same users may come in one
    # batch or in two, so one statement of slack; a query per row would add eight.
    for what in ("conversations", "messages", "transactions"):
        assert counts[(what, 11)] <= counts[(what, 3)] + 1, (what, counts)
    # One statement of slack each, as above. Conversations: the session, the page with its last messages
    # and unread counts, the last messages' authors. Messages: the session, the conversation, its unread
    # count, its members and their users, the page with its authors, the requests and their payers. Transactions:
    # the session, the wallet, the page with transfers and counterparties, the parties (users, identities).
    assert counts[("conversations", 11)] <= 4, counts
    assert counts[("messages", 11)] <= 9, counts
    assert counts[("transactions", 11)] <= 6, counts
