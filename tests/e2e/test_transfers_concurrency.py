"""Concurrent transfers on PostgreSQL: row locks in id order, no lost update, no deadlock."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError, OperationalError

from app.ledger.audit import audit
from models import LedgerAccount
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.wallet_flows import WalletAccount
from tests.support.worker_server import client_factory, worker_server

pytestmark = pytest.mark.postgres

# 2,000 in CI; lower it locally for a quick run (IMWALLET_OPPOSITE_TRANSFERS=200).
OPPOSITE_TRANSFERS = int(os.environ.get("IMWALLET_OPPOSITE_TRANSFERS", "2000"))


async def test_100_simultaneous_transfers_of_2_from_100_exactly_50_succeed(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "100.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")

    answers = await asyncio.gather(*(wf.send(alice, bob, amount="2.00") for _ in range(100)))

    assert Counter(a["__typename"] for a in answers) == Counter({"TransferSuccess": 50,
                                                                 "InsufficientFundsError": 50})
    assert (await wf.balance(alice), await wf.balance(bob)) == ("0.00", "100.00")
    assert await audit() == []


async def test_2000_transfers_in_opposite_directions_all_succeed_without_deadlock(
        sms_sink: SmsSink, server: RunningServer) -> None:
    # Served by two worker processes, so the two wallets' row locks are contended across processes.
    async with worker_server(server.settings, workers=2) as base_url, client_factory(base_url) as new_client:
        alice = await wf.funded_user(new_client(), sms_sink, "100.00", name="Alice")
        bob = await wf.funded_user(new_client(), sms_sink, "100.00", name="Bob")
        devices = {who.user_id: [WalletAccount(replace(who.account, client=new_client(token=who.account.token)))
                                 for _ in range(16)] for who in (alice, bob)}
        gate = asyncio.Semaphore(32)

        async def one(n: int) -> str:
            payer, payee = (alice, bob) if n % 2 == 0 else (bob, alice)
            async with gate:
                device = devices[payer.user_id][n // 2 % 16]
                return str((await wf.send(device, payee, amount="1.00"))["__typename"])

        answers = await asyncio.gather(*(one(n) for n in range(OPPOSITE_TRANSFERS)))
        balances = (await wf.balance(alice), await wf.balance(bob))

    assert Counter(answers) == Counter({"TransferSuccess": OPPOSITE_TRANSFERS})
    assert balances == ("100.00", "100.00")
    assert await audit() == []


async def test_the_database_itself_refuses_a_negative_wallet(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.funded_user(client, sms_sink, "1.00")
    wallet = await LedgerAccount.get(user__phone=who.phone)
    conn = Tortoise.get_connection("default")
    with pytest.raises((IntegrityError, OperationalError)):
        await conn.execute_query("UPDATE ledger_accounts SET balance_minor = -1 WHERE id = $1", [wallet.id])
    assert await wf.balance(who) == "1.00"
