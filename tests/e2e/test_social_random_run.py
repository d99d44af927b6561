"""A seeded random run on PostgreSQL: ordinary transfers mixed with waiting transfers (accepted,
returned, expired), red packets (opened, expired) and refunds, several at a time. Afterwards the
money is all still there, no wallet is negative and the audit passes."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.ledger.audit import audit
from models import LedgerAccount, PendingTransfer, Transfer
from tests.support import acceptance as acc
from tests.support import chat, wallet_flows
from tests.support import red_packets as rp
from tests.support.client import GraphQLClient
from tests.support.refunds import refund
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.time_travel import travelling
from tests.support.wallet_flows import SEND_MONEY, WalletAccount, balance

pytestmark = pytest.mark.postgres

SEED = 20261201
ROUNDS = 15
PER_ROUND = 8


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


async def total_of(people: list[WalletAccount]) -> int:
    return sum([cents(await balance(p)) for p in people])


async def held_minor() -> int:
    """Money waiting in red packets and in the pending-transfers account."""
    rows = await LedgerAccount.filter(kind__in=["RED_PACKET", "PENDING_TRANSFERS"])
    return sum(r.balance_minor for r in rows)


async def test_a_seeded_mix_of_money_between_people_conserves_the_total(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    rng = random.Random(SEED)
    people = [await wallet_flows.funded_user(new_client(), sms_sink, "200.00", name=f"P{i}") for i in range(5)]
    group = await chat.start(people[0].account, *(p.account for p in people[1:]), title="random run")
    start_total, start_held = await total_of(people), await held_minor()
    waiting: list[tuple[WalletAccount, str]] = []   # (payee, transfer id)
    received: list[tuple[WalletAccount, str]] = []  # (payee, transfer id) of completed transfers
    packets: list[str] = []

    async def send(payer: WalletAccount, payee: WalletAccount, wait: bool) -> None:
        variables = wallet_flows.send_input(to_user=payee.user_id, amount=f"{rng.randint(1, 2000) / 100:.2f}")
        variables["input"]["requireAcceptance"] = wait
        sent = await payer.client.mutate("sendMoney", SEND_MONEY, variables)
        if sent["__typename"] == "TransferSuccess":
            (waiting if wait else received).append((payee, sent["transfer"]["id"]))

    def step() -> Awaitable[Any]:
        payer, payee = rng.sample(people, 2)
        op = rng.choice(["send", "send", "wait", "decide", "packet", "open", "open", "refund"])
        if op == "decide" and waiting:
            who, tid = waiting.pop(rng.randrange(len(waiting)))
            return acc.accept(who, tid) if rng.random() < 0.5 else acc.give_back(who, tid)
        if op == "packet":
            async def packet() -> None:
                made = await rp.send(payer, group["id"], f"{rng.randint(5, 3000) / 100:.2f}", rng.randint(1, 5),
                                     split=rng.choice(["RANDOM", "EQUAL"]))
                if made["__typename"] == "RedPacketSent":
                    packets.append(made["redPacket"]["id"])
            return packet()
        if op == "open" and packets:
            return rp.open_(payer, rng.choice(packets))
        if op == "refund" and received:
            who, tid = rng.choice(received)
            return refund(who, tid, f"{rng.randint(1, 500) / 100:.2f}", key=str(uuid.UUID(int=rng.getrandbits(128))))
        return send(payer, payee, wait=op == "wait")

    for _ in range(ROUNDS):
        await asyncio.gather(*(step() for _ in range(PER_ROUND)))
        assert await total_of(people) + await held_minor() - start_held == start_total
        assert await audit() == []

    with travelling(server) as clock:  # everything still waiting falls due and returns
        clock.advance(timedelta(hours=25))
        for _ in range(200):
            if await held_minor() == 0:
                break
            await asyncio.sleep(0.05)
    assert await held_minor() == 0
    assert await total_of(people) == start_total
    ids = [wallet_flows.db_id(p.user_id) for p in people]
    kinds = {t.kind.value for t in await Transfer.filter(initiator_id__in=ids)}
    assert {"P2P", "RED_PACKET", "PACKET_SHARE", "REFUND"} <= kinds  # the mix really was mixed
    outcomes = {str(p.outcome) for p in await PendingTransfer.filter(payer_id__in=ids)}
    assert {"ACCEPTED", "RETURNED", "EXPIRED"} <= outcomes
    assert min([cents(await balance(p)) for p in people]) >= 0
    assert await audit() == []
